import XCTest
@testable import Encore

/// The record scanner's word-at-a-time search for field ends, against a plain split written
/// here: random text of delimiter bytes, line breaks, carriage returns and multi-byte letters,
/// with one-byte and two-byte delimiters, fields of every length around eight bytes.
final class RecordScannerTests: XCTestCase {
    /// The records of `text` as a reader sees them: split at "\n", a "\r" before it dropped,
    /// blank lines skipped, each line split at `delimiter`.
    private func reference(_ text: [UInt8], delimiter: [UInt8]) -> [[[UInt8]]] {
        var records: [[[UInt8]]] = []
        for var line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init) {
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.isEmpty { continue }
            var fields: [[UInt8]] = [], field: [UInt8] = [], index = 0
            while index < line.count {
                if index + delimiter.count <= line.count && Array(line[index..<index + delimiter.count]) == delimiter {
                    fields.append(field)
                    field = []
                    index += delimiter.count
                } else {
                    field.append(line[index])
                    index += 1
                }
            }
            records.append(fields + [field])
        }
        return records
    }

    func testFieldsMatchAPlainSplit() throws {
        var random = RandomSource(seed: 11, stream: 1, row: 0)
        let pieces: [[UInt8]] = ["a", "b", "\t", ":", "\r", "\n", "é", "::", "0123456789"].map { Array($0.utf8) }
        for delimiter in ["\t", "::"].map({ Array($0.utf8) }) {
            for _ in 0..<300 {
                var text: [UInt8] = []
                for _ in 0..<Int(random.next() % 40) { text += pieces[Int(random.next() % UInt64(pieces.count))] }
                let scanned = text.withUnsafeBufferPointer { bytes -> [[[UInt8]]] in
                    guard let base = bytes.baseAddress else { return [] }
                    var scanner = RecordScanner(base: base, count: bytes.count, delimiter: delimiter, fileName: "r.tsv")
                    defer { scanner.release() }
                    var records: [[[UInt8]]] = []
                    while try! scanner.next() { records.append((0..<scanner.fieldCount).map { Array(scanner.field($0)) }) }
                    return records
                }
                XCTAssertEqual(scanned, reference(text, delimiter: delimiter), String(decoding: text, as: UTF8.self).debugDescription)
            }
        }
    }

    /// A record of more fields than the scanner starts with room for (16), and a quoted field
    /// longer than its first scratch space (256 bytes), so that both grow while keeping what
    /// they hold (comma-separated: the delimiters whose fields may be quoted).
    func testManyFieldsAndALongQuotedFieldSurviveGrowth() throws {
        let names = (0..<40).map { "f\($0)" }
        let quoted = String(repeating: "a\"\"", count: 600)   // 600 × a"" → 600 × a"
        let text = Array((names.joined(separator: ",") + "\n\"" + quoted + "\",z\n").utf8)
        let records = text.withUnsafeBufferPointer { bytes -> [[String]] in
            var scanner = RecordScanner(base: bytes.baseAddress!, count: bytes.count, delimiter: Array(",".utf8), fileName: "g.csv")
            defer { scanner.release() }
            var records: [[String]] = []
            while try! scanner.next() { records.append((0..<scanner.fieldCount).map { String(decoding: scanner.field($0), as: UTF8.self) }) }
            return records
        }
        XCTAssertEqual(records, [names, [String(repeating: "a\"", count: 600), "z"]])
    }
}
