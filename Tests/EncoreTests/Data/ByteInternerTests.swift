import XCTest
@testable import Encore

/// The byte interner against a dictionary numbering the same strings by first appearance:
/// strings of every length around the slot's length field (254, 255, 256 bytes and longer, which
/// are checked through the offsets), the empty string, near misses that share a prefix, enough
/// strings to grow the table several times, and each way in: one at a time, in batches as the
/// parser gives them, from spans of a text, compacted and absorbed.
final class ByteInternerTests: XCTestCase {
    /// Strings with repeats, in a fixed pseudo-random order.
    private func strings() -> [[UInt8]] {
        var random = RandomSource(seed: 11, stream: 1, row: 0)
        var distinct: [[UInt8]] = [[], Array("a".utf8), Array("ab".utf8), Array("ab\0".utf8)]
        for length in [7, 8, 9, 15, 16, 17, 40, 254, 255, 256, 300, 1000] {
            let base = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ length) }
            distinct.append(base)
            var lastDiffers = base
            lastDiffers[length - 1] ^= 1
            distinct.append(lastDiffers)
            distinct.append(base + [0])
        }
        for n in 0..<5_000 { distinct.append(Array("listener-\(n * 7919 % 10_007)".utf8)) }
        return (0..<30_000).map { _ in distinct[Int(random.next() % UInt64(distinct.count))] }
    }

    /// Numbers by first appearance, from a dictionary.
    private func reference(_ strings: [[UInt8]]) -> (numbers: [Int], distinct: [[UInt8]]) {
        var seen: [[UInt8]: Int] = [:], distinct: [[UInt8]] = []
        let numbers = strings.map { string in
            if let number = seen[string] { return number }
            seen[string] = distinct.count
            distinct.append(string)
            return distinct.count - 1
        }
        return (numbers, distinct)
    }

    private func intern(_ string: [UInt8], into table: inout ByteInterner) -> Int {
        var padded = string + [0]  // a valid pointer for the empty string
        return padded.withUnsafeMutableBufferPointer { table.intern($0.baseAddress!, string.count) }
    }

    private func number(of string: [UInt8], in table: ByteInterner) -> Int? {
        (string + [0]).withUnsafeBufferPointer { table.number(of: $0.baseAddress!, string.count) }
    }

    private func assertHolds(_ table: ByteInterner, _ distinct: [[UInt8]], _ context: String) {
        XCTAssertEqual(table.count, distinct.count, context)
        for (number, string) in distinct.enumerated() {
            XCTAssertEqual(self.number(of: string, in: table), number, "\(context): \(string.count) bytes")
            XCTAssertEqual(table.string(at: number), String(decoding: string, as: UTF8.self), context)
        }
        for unknown in [Array("abc".utf8), Array("listener-10007".utf8), [UInt8](repeating: 7, count: 255), [UInt8](repeating: 7, count: 600)] {
            XCTAssertNil(number(of: unknown, in: table), "\(context): \(unknown.count) unknown bytes")
        }
    }

    func testOneAtATimeNumbersAsADictionaryDoes() {
        let strings = strings(), (expected, distinct) = reference(strings)
        var table = ByteInterner()
        XCTAssertEqual(strings.map { intern($0, into: &table) }, expected)
        assertHolds(table, distinct, "one at a time")
        assertHolds(table.compacted(), distinct, "compacted")
        var absorbing = ByteInterner()
        XCTAssertEqual(absorbing.absorb(table).map(Int.init), Array(0..<distinct.count))
        assertHolds(absorbing, distinct, "absorbed")
    }

    func testBatchesAndSpansNumberAsOneAtATime() {
        let strings = strings(), (expected, distinct) = reference(strings)
        // Batches of the parser's size, through pointers into one buffer.
        let text: [UInt8] = strings.flatMap { $0 } + [0]
        var starts = [0]
        for string in strings { starts.append(starts.last! + string.count) }
        var batched = ByteInterner(), numbers = [UInt32](repeating: 0, count: strings.count)
        text.withUnsafeBufferPointer { text in
            for first in stride(from: 0, to: strings.count, by: ByteInterner.batchSize) {
                let count = min(ByteInterner.batchSize, strings.count - first)
                let pointers = (first..<first + count).map { text.baseAddress! + starts[$0] }
                let lengths = (first..<first + count).map { strings[$0].count }
                numbers.withUnsafeMutableBufferPointer { batched.intern(batch: pointers, lengths: lengths, count: count, into: $0.baseAddress! + first) }
            }
        }
        XCTAssertEqual(numbers.map(Int.init), expected)
        assertHolds(batched, distinct, "batches")
        // Spans of the same text, as a windowed read numbers a column.
        var spanned = ByteInterner(), spanNumbers: [UInt32] = []
        text.withUnsafeBufferPointer { text in
            var spans = IDSpans(base: text.baseAddress!)
            for (index, string) in strings.enumerated() { spans.append(UnsafeBufferPointer(start: text.baseAddress! + starts[index], count: string.count)) }
            spanned.intern(spans, appendingTo: &spanNumbers)
        }
        XCTAssertEqual(spanNumbers.map(Int.init), expected)
        assertHolds(spanned, distinct, "spans")
    }

    /// Two IDs of 255 bytes or more, one a prefix of the other, whose hashes share the slot's tag
    /// and the slot itself in a table of 1,024: the slot's length field (255 for both) cannot
    /// tell them apart, so the record's true length must.
    func testLongIDsThatCollideAreToldApartByTheirLength() {
        let shorter = Array(("long-i0253510966" + String(repeating: "x", count: 240)).utf8), longer = shorter + Array("!".utf8)
        let hashes = [shorter, longer].map { string in string.withUnsafeBufferPointer { ByteInterner.hash($0.baseAddress!, string.count) } }
        XCTAssertEqual(hashes[0] & 0xFFFF_0000_0000_03FF, hashes[1] & 0xFFFF_0000_0000_03FF, "the pair no longer collides: find another")
        for order in [[longer, shorter], [shorter, longer]] {
            var table = ByteInterner()
            XCTAssertEqual(order.map { intern($0, into: &table) }, [0, 1])
            XCTAssertEqual(order.map { intern($0, into: &table) }, [0, 1])
            XCTAssertEqual(order.map { number(of: $0, in: table) }, [0, 1])
        }
    }
}
