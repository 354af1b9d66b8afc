import XCTest
@testable import Encore

/// Windowed reading against hand-written files: windows far smaller than a record, so that
/// records, CRLF pairs and multi-byte characters are cut at every place, must give the rows and
/// IDs written out by hand below, and name the same line for a bad row.
final class WindowedReadTests: XCTestCase {
    private let sizes = [(1, 1), (1, 7), (2, 3), (2, 11), (3, 5), (2, 64), (4, 2)]

    private func windowed(_ text: String, slices: Int, bytesPerSlice: Int, options: DelimitedReadOptions = DelimitedReadOptions()) throws -> Interactions {
        try Array(text.utf8).withUnsafeBufferPointer {
            try WindowedRead(bytes: $0, fileName: "w.tsv", slices: slices, bytesPerSlice: bytesPerSlice, progress: nil).run(options: options).0
        }
    }

    func testCRLFRepeatsAndNonASCIIIDsCutAtEveryPlace() throws {
        let text = "listener\tartist\tplays\r\n" +
            "björk fan\tSigur Rós\t3\r\n" +
            "ユーザー\tSigur Rós\t1\r\n" +
            "\r\n" +
            "björk fan\tmúm\t2\r\n" +
            "u3\tSigur Rós\t4\r\n" +
            "ユーザー\tmúm\t5\r\n" +
            "björk fan\tSigur Rós\t6\r\n"
        for (slices, size) in sizes {
            let data = try windowed(text, slices: slices, bytesPerSlice: size)
            XCTAssertEqual(data.userIDs.ids, ["björk fan", "ユーザー", "u3"], "\(slices) × \(size)")
            XCTAssertEqual(data.itemIDs.ids, ["Sigur Rós", "múm"], "\(slices) × \(size)")
            XCTAssertEqual(data.users, [0, 1, 0, 2, 1, 0], "\(slices) × \(size)")
            XCTAssertEqual(data.items, [0, 0, 1, 0, 1, 0], "\(slices) × \(size)")
            XCTAssertEqual(data.weights, [3, 1, 2, 4, 5, 6], "\(slices) × \(size)")
            XCTAssertEqual(data.userIDs.index(of: "ユーザー"), 1)
        }
    }

    func testTimestampsAndWeightsKeepTheirRowsAcrossWindowsThatReuseArrays() throws {
        // Each window's slices fill the arrays the last window's slices left: rows of
        // different lengths, so a window that kept anything of the one before would show it.
        var text = "user\titem\tplays\ttime\n"
        var users: [UInt32] = [], weights: [Float] = [], times: [Int64] = []
        for row in 0..<40 {
            let user = row % 7, plays = row * 3 + 1, time = 1_000_000 + row * row
            text += "listener-\(String(repeating: "x", count: user))\tartist\(row % 5)\t\(plays)\t\(time)\n"
            users.append(UInt32(user))
            weights.append(Float(plays))
            times.append(Int64(time))
        }
        var options = DelimitedReadOptions()
        options.timestampColumn = .index(3)
        for (slices, size) in sizes + [(2, 200), (3, 90)] {
            let data = try windowed(text, slices: slices, bytesPerSlice: size, options: options)
            XCTAssertEqual(data.users, users, "\(slices) × \(size)")
            XCTAssertEqual(data.items, (0..<40).map { UInt32($0 % 5) }, "\(slices) × \(size)")
            XCTAssertEqual(data.weights, weights, "\(slices) × \(size)")
            XCTAssertEqual(data.timestamps, times, "\(slices) × \(size)")
        }
    }

    func testASliceParsedReusingAnotherFillsItsArraysInPlace() throws {
        let first = Array("a\tx\t1\nbb\ty\t2\nc\tz\t5\n".utf8), second = Array("dd\tw\t3\n".utf8)
        try first.withUnsafeBufferPointer { first in
            try second.withUnsafeBufferPointer { second in
                let old = try DelimitedReader.parseSlice(first, fileName: "a.tsv", options: DelimitedReadOptions(), firstLine: 1,
                                                         deferringIDs: true, progress: nil)
                let weights = old.weights.withUnsafeBufferPointer { $0.baseAddress }
                let offsets = old.spans!.users.offsets.withUnsafeBufferPointer { $0.baseAddress }
                let new = try DelimitedReader.parseSlice(second, fileName: "b.tsv", options: DelimitedReadOptions(), firstLine: 4,
                                                         deferringIDs: true, reusing: consume old, progress: nil)
                XCTAssertEqual(new.weights, [3])
                XCTAssertEqual(new.spans!.users.offsets, [0])
                XCTAssertEqual(new.spans!.users.lengths, [2])
                XCTAssertEqual(new.spans!.items.offsets, [3])
                XCTAssertTrue(new.spans!.users.base == second.baseAddress!)
                // The same memory, not a copy emptied into a new allocation.
                XCTAssertEqual(new.weights.withUnsafeBufferPointer { $0.baseAddress }, weights)
                XCTAssertEqual(new.spans!.users.offsets.withUnsafeBufferPointer { $0.baseAddress }, offsets)
            }
        }
    }

    func testABadRowInALaterWindowNamesItsFileLine() throws {
        // Line 7 is the bad one: a header, a CRLF row, a blank line and three good rows before it.
        let text = "user\titem\tplays\r\nu1\ti1\t1\r\n\nu2\ti2\t2\nu1\ti2\t3\nu3\ti1\t1\nu2\ti1\tlots\nu4\ti3\t1\n"
        for (slices, size) in sizes {
            XCTAssertThrowsError(try windowed(text, slices: slices, bytesPerSlice: size)) { error in
                XCTAssertEqual(error as? EncoreError, .invalidRow(file: "w.tsv", line: 7, reason: "weight 'lots' is not a number"), "\(slices) × \(size)")
            }
        }
    }

    func testQuotedCSVIsReadInOnePieceWithTheSameNumbers() throws {
        let text = "user,item,plays\r\n\"Smith, J\",\"say \"\"hi\"\"\",3\r\nb,\"two\nlines\",4\r\n\"Smith, J\",x,5\r\n"
        for (slices, size) in sizes {
            let data = try windowed(text, slices: slices, bytesPerSlice: size)
            XCTAssertEqual(data.userIDs.ids, ["Smith, J", "b"])
            XCTAssertEqual(data.itemIDs.ids, ["say \"hi\"", "two\nlines", "x"])
            XCTAssertEqual(data.users, [0, 1, 0])
            XCTAssertEqual(data.items, [0, 1, 2])
            XCTAssertEqual(data.weights, [3, 4, 5])
        }
    }

    func testSkippedRowsAreCountedOnceWhateverTheWindows() throws {
        var options = DelimitedReadOptions()
        options.skipInvalid = true
        let text = "a\tx\t1\nb\ty\n\tz\t2\nc\tx\tnan\nb\tx\t2\n"
        for (slices, size) in sizes {
            let (data, report) = try Array(text.utf8).withUnsafeBufferPointer {
                try WindowedRead(bytes: $0, fileName: "w.tsv", slices: slices, bytesPerSlice: size, progress: nil).run(options: options)
            }
            XCTAssertEqual(report.rowsRead, 2, "\(slices) × \(size)")
            XCTAssertEqual(report.rowsSkipped, 3, "\(slices) × \(size)")
            XCTAssertEqual(report.skipExamples.map { $0.prefix(8) }, ["w.tsv:2:", "w.tsv:3:", "w.tsv:4:"])
            XCTAssertEqual(data.userIDs.ids, ["a", "b"])
            XCTAssertEqual(data.users, [0, 1])
        }
    }

    /// The line-feed count that numbers a window's lines, against counting bytes one by one:
    /// lengths on both sides of the 16-byte blocks and of the 255 blocks a lane may count, text
    /// that is all line feeds (every lane at its limit) and text with none, at odd addresses.
    func testLineBreaksAreCountedExactlyWhateverTheLengthAndAlignment() {
        var random = SystemRandomNumberGenerator()
        let lengths = [0, 1, 15, 16, 17, 31, 255 * 16 - 1, 255 * 16, 255 * 16 + 1, 2 * 255 * 16 + 7, 10_000]
        for length in lengths {
            for fill in ["random", "all", "none"] {
                let bytes: [UInt8] = (0..<length + 3).map { _ in
                    switch fill {
                    case "all": UInt8(ascii: "\n")
                    case "none": UInt8(ascii: "a")
                    default: Bool.random(using: &random) ? UInt8(ascii: "\n") : UInt8.random(in: 0...255, using: &random)
                    }
                }
                for offset in 0..<3 {
                    let text = bytes[offset..<offset + length]
                    let expected = text.filter { $0 == UInt8(ascii: "\n") }.count
                    let counted = bytes.withUnsafeBufferPointer { DelimitedReader.countLineBreaks(UnsafeBufferPointer(rebasing: $0[offset..<offset + length])) }
                    XCTAssertEqual(counted, expected, "\(fill), \(length) bytes at offset \(offset)")
                }
            }
        }
    }
}
