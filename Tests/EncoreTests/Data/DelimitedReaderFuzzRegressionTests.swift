import XCTest
@testable import Encore

/// Texts on which the delimited reader's parallel path (a large file cut into slices at line
/// breaks) disagreed with one pass under scripts/fuzz (target `delimited`).
final class DelimitedReaderFuzzRegressionTests: XCTestCase {
    func outcome(_ bytes: [UInt8], _ options: DelimitedReadOptions, slices: Int) -> Result<(Interactions, ReadReport), Error> {
        bytes.withUnsafeBufferPointer { buffer in Result { try DelimitedReader.parseInSlices(buffer, fileName: "fuzz", options: options, slices: slices) } }
    }

    func assertSameAsOnePass(_ bytes: [UInt8], _ options: DelimitedReadOptions, file: StaticString = #filePath, line: UInt = #line) {
        let whole = outcome(bytes, options, slices: 1)
        for slices in 2...4 {
            switch (whole, outcome(bytes, options, slices: slices)) {
            case let (.success(a), .success(b)):
                XCTAssertEqual(a.1, b.1, "\(slices) slices", file: file, line: line)
                XCTAssertEqual(a.0.userIDs.ids, b.0.userIDs.ids, "\(slices) slices", file: file, line: line)
                XCTAssertEqual(a.0.itemIDs.ids, b.0.itemIDs.ids, "\(slices) slices", file: file, line: line)
                XCTAssertEqual(a.0.weights, b.0.weights, "\(slices) slices", file: file, line: line)
            case (.failure, .failure): break
            case let (a, b): XCTFail("one pass \(a), \(slices) slices \(b)", file: file, line: line)
            }
        }
    }

    /// The bug: only the first slice is parsed with the header, and the header is the first
    /// non-blank line; when blank lines filled the first slice, the header line fell in the second
    /// slice, which was told it had none and read the header as data. The fuzzer's input: header
    /// present, "," delimiter, no weight column, skipping invalid rows, text "\n\r,\u{ff}" — one
    /// pass read a header and no rows (an empty-input error), three slices read one row.
    func testHeaderAfterASliceOfBlankLinesIsStillTheHeader() {
        var options = DelimitedReadOptions()
        options.delimiter = .exactly(",")
        options.header = .present
        options.weightColumn = nil
        options.skipInvalid = true
        assertSameAsOnePass([0x0a, 0x0d, 0x2c, 0xff], options)
        // The same with a real header and rows, and with the header detected rather than stated.
        let text = Array((String(repeating: "\n", count: 60) + "user,item,plays\nann,Low,3\nbob,Can,1\n").utf8)
        assertSameAsOnePass(text, options)
        options.header = .auto
        options.weightColumn = .index(2)
        assertSameAsOnePass(text, options)
        if case let .success((data, report)) = outcome(text, options, slices: 3) {
            XCTAssertTrue(report.hadHeader)
            XCTAssertEqual(data.userIDs.ids, ["ann", "bob"])
        } else {
            XCTFail("the text reads")
        }
    }
}
