import XCTest
@testable import Encore

/// The ID index as one byte arena: lookups both ways against IDs written by hand (empty,
/// non-ASCII, longer than a word, differing in one byte), duplicates refused, and a table big
/// enough to have grown and been compacted.
final class IDIndexTests: XCTestCase {
    func testLookupsBothWaysForHandWrittenIDs() throws {
        let ids = ["", "a", "Björk", "ユーザー", "0123456789abcdef0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234568", "a\tb"]
        let index = try IDIndex(ids: ids)
        XCTAssertEqual(index.count, 7)
        XCTAssertEqual(index.ids, ids)
        for (position, id) in ids.enumerated() {
            XCTAssertEqual(index.index(of: id), position, id)
            XCTAssertEqual(index.id(at: position), id)
        }
        // Near misses: a prefix, a longer string, another normalisation of the same letter.
        for unknown in ["b", "Bjork", "Bjo\u{308}rk", "0123456789abcdef0123456789abcdef0123456", "ユーザー ", "a\t"] {
            XCTAssertNil(index.index(of: unknown), unknown)
        }
    }

    func testDuplicateIDsAreRefusedByName() {
        XCTAssertThrowsError(try IDIndex(ids: ["x", "Ünïcode", "y", "Ünïcode"])) { error in
            XCTAssertEqual(error as? EncoreError, .invalidArgument("ID 'Ünïcode' appears twice in an ID table"))
        }
    }

    func testIDsLaidEndToEndIndexAsTheStringsDoAndDuplicatesAreRefused() throws {
        // As a play log stores them: the bytes one after another, and where each ID ends.
        func index(_ ids: [String]) throws -> IDIndex {
            let bytes = ids.flatMap { Array($0.utf8) }
            var end = 0
            let ends = ids.map { id -> UInt64 in end += id.utf8.count; return UInt64(end) }
            return try bytes.withUnsafeBufferPointer { bytes in try ends.withUnsafeBufferPointer { try IDIndex(bytes: bytes, ends: $0) } }
        }
        let ids = ["Björk", "", "ユーザー", "0123456789abcdef0123456789abcdef01234567", "a"]
        let laid = try index(ids)
        XCTAssertEqual(laid.ids, ids)
        for (position, id) in ids.enumerated() { XCTAssertEqual(laid.index(of: id), position, id) }
        XCTAssertThrowsError(try index(["x", "Ünïcode", "y", "Ünïcode"])) { error in
            XCTAssertEqual(error as? EncoreError, .invalidArgument("ID 'Ünïcode' appears twice in an ID table"))
        }
        XCTAssertThrowsError(try index(["", "a", ""]))
    }

    func testTenThousandIDsSurviveGrowthAndCompaction() throws {
        let ids = (0..<10_000).map { "listener-\($0 * 7919 % 10_007)" }
        let index = try IDIndex(ids: ids)
        XCTAssertEqual(index.count, ids.count)
        for position in stride(from: 0, to: ids.count, by: 1) {
            XCTAssertEqual(index.index(of: ids[position]), position)
        }
        XCTAssertEqual(index.id(at: 9_999), ids[9_999])
        XCTAssertNil(index.index(of: "listener-10007"))
        XCTAssertEqual(index, try IDIndex(ids: ids))
        XCTAssertNotEqual(index, try IDIndex(ids: Array(ids.reversed())))
    }

    func testAReadHandsOverItsTableWithTheNumbersItGave() throws {
        let text = "u1\tα\t1\nu2\tβ\t1\nu1\tγ\t2\nu3\tα\t1\n"
        let (data, _) = try Array(text.utf8).withUnsafeBufferPointer {
            try DelimitedReader.parseInOnePass($0, fileName: "p.tsv", options: DelimitedReadOptions())
        }
        XCTAssertEqual(data.userIDs.ids, ["u1", "u2", "u3"])
        XCTAssertEqual(data.itemIDs.ids, ["α", "β", "γ"])
        XCTAssertEqual(data.users, [0, 1, 0, 2])
        XCTAssertEqual(data.items, [0, 1, 2, 0])
        XCTAssertEqual(data.itemIDs.index(of: "γ"), 2)
        XCTAssertNil(data.userIDs.index(of: "u4"))
    }
}
