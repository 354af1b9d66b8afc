import XCTest
@testable import Encore

/// The delimited reader on files written by hand.
final class DelimitedReaderTests: XCTestCase {
    func parse(_ text: String, _ options: DelimitedReadOptions = DelimitedReadOptions(), file: String = "plays.tsv") throws -> (Interactions, ReadReport) {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { try DelimitedReader.parseInOnePass($0, fileName: file, options: options) }
    }

    /// (user ID, item ID) → summed weight, independent of numbering.
    func triples(_ data: Interactions) -> [String: Float] {
        var result: [String: Float] = [:]
        for p in 0..<data.count {
            result["\(data.userIDs.id(at: Int(data.users[p])))|\(data.itemIDs.id(at: Int(data.items[p])))", default: 0] += data.weights[p]
        }
        return result
    }

    func testTabSeparatedWithHeaderAndCRLF() throws {
        let (data, report) = try parse("userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\t11690\r\n3\t51\t7\r\n")
        XCTAssertTrue(report.hadHeader)
        XCTAssertEqual(report.rowsRead, 3)
        XCTAssertEqual(triples(data), ["2|51": 13883, "2|52": 11690, "3|51": 7])
        XCTAssertEqual(data.userIDs.ids, ["2", "3"])
        XCTAssertEqual(data.itemIDs.ids, ["51", "52"])
    }

    func testHeaderlessCommaFileAndStringIDs() throws {
        let (data, report) = try parse("u-α,Björk,2.5\nuser two,\"Crosby, Stills & Nash\",1\n", file: "plays.csv")
        XCTAssertFalse(report.hadHeader)
        XCTAssertEqual(triples(data), ["u-α|Björk": 2.5, "user two|Crosby, Stills & Nash": 1])
    }

    func testQuotedFieldsWithEscapedQuotesAndLineBreaks() throws {
        let text = "user,item,plays\r\n\"a\",\"say \"\"hi\"\"\",3\r\nb,\"two\nlines\",4\r\nc,x,5\r\n"
        let (data, _) = try parse(text)
        XCTAssertEqual(triples(data), ["a|say \"hi\"": 3, "b|two\nlines": 4, "c|x": 5])
    }

    func testErrorLineNumbersCountLinesInsideQuotes() throws {
        let text = "user,item,plays\nb,\"two\nlines\",4\nc,x,oops\n"
        XCTAssertThrowsError(try parse(text, file: "q.csv")) { error in
            XCTAssertEqual(error as? EncoreError, .invalidRow(file: "q.csv", line: 4, reason: "weight 'oops' is not a number"))
        }
    }

    func testDuplicatePairsAreSummedInTheMatrix() throws {
        let (data, _) = try parse("a\tx\t1\na\tx\t2\nb\tx\t4\na\ty\t1\na\tx\t3\n")
        XCTAssertEqual(data.count, 5)
        let matrix = data.userItemMatrix()
        XCTAssertEqual(matrix.nonZeroCount, 3)
        XCTAssertEqual(matrix.value(row: 0, column: 0), 6)
        XCTAssertEqual(matrix.value(row: 1, column: 0), 4)
        XCTAssertEqual(matrix.value(row: 0, column: 1), 1)
    }

    func testEveryInvalidRowIsNamedByFileLineAndText() throws {
        let cases: [(String, String)] = [
            ("a\tx\n", "missing field in 'a\\tx': expected at least 3 fields separated by '\\t', found 2"),
            ("a\tx\tlots\n", "weight 'lots' is not a number"),
            ("a\tx\t-3\n", "weight '-3' is negative"),
            ("a\tx\tinf\n", "weight 'inf' is infinite or too large for a 32-bit float"),
            ("a\tx\t1e300\n", "weight '1e300' is infinite or too large for a 32-bit float"),
            ("a\tx\tNaN\n", "weight 'NaN' is NaN"),
            ("a\tx\t\n", "the weight field is empty"),
            ("\tx\t1\n", "the user ID field is empty in '\\tx\\t1'"),
            ("a\t\t1\n", "the item ID field is empty in 'a\\t\\t1'"),
        ]
        for (badLine, reason) in cases {
            let text = "u\ti\t1\nv\tj\t2\n" + badLine + "w\tk\t3\n"
            XCTAssertThrowsError(try parse(text, file: "bad.tsv"), reason) { error in
                XCTAssertEqual(error as? EncoreError, .invalidRow(file: "bad.tsv", line: 3, reason: reason))
                XCTAssertEqual((error as? EncoreError)?.description, "bad.tsv:3: \(reason)")
            }
            var skipping = DelimitedReadOptions()
            skipping.skipInvalid = true
            let (data, report) = try parse(text, skipping, file: "bad.tsv")
            XCTAssertEqual(report.rowsSkipped, 1, reason)
            XCTAssertEqual(report.rowsRead, 3)
            XCTAssertEqual(report.skipExamples, ["bad.tsv:3: \(reason)"])
            XCTAssertEqual(data.count, 3)
        }
    }

    func testEmptyInputIsAnError() throws {
        for text in ["", "\n\n", "user\titem\tweight\n"] {
            XCTAssertThrowsError(try parse(text, file: "empty.tsv")) { error in
                XCTAssertEqual(error as? EncoreError, .emptyInput(file: "empty.tsv"))
            }
        }
        var skipping = DelimitedReadOptions()
        skipping.skipInvalid = true
        XCTAssertThrowsError(try parse("a\tb\tx\n", skipping, file: "e.tsv")) { XCTAssertEqual($0 as? EncoreError, .emptyInput(file: "e.tsv")) }
    }

    func testColumnsByHeaderNameAndDoubleColonDelimiter() throws {
        var options = DelimitedReadOptions()
        options.userColumn = .name("listener")
        options.itemColumn = .name("Track")
        options.weightColumn = .name("count")
        let (data, _) = try parse("when,track,listener,count\n1,t1,ann,4\n2,t2,bob,5\n", options)
        XCTAssertEqual(triples(data), ["ann|t1": 4, "bob|t2": 5])
        XCTAssertThrowsError(try parse("a,b,c\n1,2,3\n", { var o = DelimitedReadOptions(); o.userColumn = .name("user"); return o }())) { error in
            XCTAssertTrue("\(error)".contains("no user column named 'user'"))
        }

        var movielens = DelimitedReadOptions()
        movielens.timestampColumn = .index(3)
        let (ratings, report) = try parse("1::1193::5::978300760\n1::661::3::978302109\n", movielens, file: "ratings.dat")
        XCTAssertFalse(report.hadHeader)
        XCTAssertEqual(triples(ratings), ["1|1193": 5, "1|661": 3])
        XCTAssertEqual(ratings.timestamps, [978_300_760, 978_302_109])
    }

    func testRowsWithoutWeightCountPlaysAndISOTimestampsParse() throws {
        var options = DatasetFormat.lastfm1k.readOptions(custom: DelimitedReadOptions())
        options.skipInvalid = false
        let text = "user_000001\t2009-05-04T23:08:57Z\tf1b1cf71\tDeep Dish\tt1\tFuck Me Im Famous\n"
            + "user_000001\t2009-05-04T13:54:10Z\ta7f7df4a\tDeep Dish\tt2\tOther\n"
            + "user_000002\t1970-01-01T00:00:01Z\tx\tThe Knife\tt3\tSilent Shout\n"
        let (data, _) = try parse(text, options)
        XCTAssertEqual(triples(data), ["user_000001|Deep Dish": 2, "user_000002|The Knife": 1])
        XCTAssertEqual(data.timestamps, [1_241_478_537, 1_241_445_250, 1])
    }

    func testUnterminatedQuoteIsAnError() throws {
        XCTAssertThrowsError(try parse("a,b,1\nc,\"d,2\n", file: "q.csv")) { error in
            XCTAssertEqual(error as? EncoreError, .invalidRow(file: "q.csv", line: 2, reason: "a quoted field is never closed (missing '\"')"))
        }
    }

    func testMissingFileIsAnError() {
        XCTAssertThrowsError(try DelimitedReader.read(path: "/nonexistent/plays.tsv", options: DelimitedReadOptions())) { error in
            XCTAssertEqual(error as? EncoreError, .io(path: "/nonexistent/plays.tsv", reason: "no such file"))
        }
    }

    func testLastfm2kPresetAttachesArtistNamesWithOrWithoutAHeaderLine() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.write("id\tname\turl\tpictureURL\r\n51\tDuran Duran\thttp://x\thttp://y\r\n", to: "artists.dat", in: directory)
        for header in ["userID\tartistID\tweight\r\n", ""] {
            let plays = try TestSupport.write(header + "2\t51\t100\r\n2\t52\t50\r\n", to: "user_artists.dat", in: directory)
            let (data, report) = try DatasetLoader.load(path: plays, format: nil)
            XCTAssertEqual(report.hadHeader, !header.isEmpty)
            XCTAssertEqual(report.rowsRead, 2, "no play is lost to header guessing")
            XCTAssertEqual(data.itemNames, ["Duran Duran", ""])
        }
    }

    func testIDsAreNumberedInOrderOfFirstAppearanceAcrossBatchesAndRebuiltQuotedFields() throws {
        // IDs are interned a batch at a time, except a quoted field with doubled quotes, which is
        // rebuilt in scratch space and interned at once: the numbering must not notice. 200 rows
        // (several batches), a rebuilt ID every 13th row, repeats within and across batches.
        var lines = ["user,item,plays"]
        var expectedUsers: [String] = [], expectedItems: [String] = []
        for row in 0..<200 {
            let user = "u\((row * 17) % 53)", item = row % 13 == 5 ? "say \"\(row % 4)\"" : "artist \((row * 11) % 37)"
            if !expectedUsers.contains(user) { expectedUsers.append(user) }
            if !expectedItems.contains(item) { expectedItems.append(item) }
            let quotedItem = row % 13 == 5 ? "\"say \"\"\(row % 4)\"\"\"" : item
            lines.append("\(user),\(quotedItem),\(row % 3 + 1)")
        }
        let (data, report) = try parse(lines.joined(separator: "\n"), file: "plays.csv")
        XCTAssertEqual(report.rowsRead, 200)
        XCTAssertEqual(data.userIDs.ids, expectedUsers)
        XCTAssertEqual(data.itemIDs.ids, expectedItems)
        for row in 0..<200 {
            XCTAssertEqual(data.userIDs.id(at: Int(data.users[row])), "u\((row * 17) % 53)")
            XCTAssertEqual(data.itemIDs.id(at: Int(data.items[row])), row % 13 == 5 ? "say \"\(row % 4)\"" : "artist \((row * 11) % 37)")
        }
    }

    func testSurroundingWhitespaceIsTrimmedFromIDsAndCounted() throws {
        // As in the shared Last.fm 2K file, where "65  " on line 2865 would otherwise be an
        // artist of its own beside Coldplay's "65". Weights may be padded too ("    316").
        let text = "2\t65\t10\n61\t65  \t170\n 7 \t  65\t    316\n8\t51\t1\n"
        let (data, report) = try parse(text)
        XCTAssertEqual(data.itemIDs.ids, ["65", "51"])
        XCTAssertEqual(data.userIDs.ids, ["2", "61", "7", "8"])
        XCTAssertEqual(triples(data), ["2|65": 10, "61|65": 170, "7|65": 316, "8|51": 1])
        XCTAssertEqual(report.idsTrimmed, 3)
        XCTAssertEqual(report.trimExamples, ["plays.tsv:2: '65  '", "plays.tsv:3: ' 7 '", "plays.tsv:3: '  65'"])

        var keep = DelimitedReadOptions()
        keep.keepIDWhitespace = true
        let (kept, keptReport) = try parse(text, keep)
        XCTAssertEqual(kept.itemIDs.ids, ["65", "65  ", "  65", "51"])
        XCTAssertEqual(kept.userIDs.ids, ["2", "61", " 7 ", "8"])
        XCTAssertEqual(keptReport.idsTrimmed, 0)
        XCTAssertEqual(keptReport.trimExamples, [])
    }

    func testTrimmingAppliesToQuotedIDsAndTabsAndLeavesInnerSpacesAlone() throws {
        let text = "user,artist,plays\n\" a \",\"Crosby, Stills & Nash \",1\nb ,\tCrosby\t,2\nc,Crosby,3\n"
        let (data, report) = try parse(text, DelimitedReadOptions(), file: "p.csv")
        XCTAssertEqual(data.itemIDs.ids, ["Crosby, Stills & Nash", "Crosby"])
        XCTAssertEqual(data.userIDs.ids, ["a", "b", "c"])
        XCTAssertEqual(report.idsTrimmed, 4)
        XCTAssertEqual(report.trimExamples, ["p.csv:2: ' a '", "p.csv:2: 'Crosby, Stills & Nash '", "p.csv:3: 'b '", "p.csv:3: '\\tCrosby\\t'"])
    }

    func testRowsSkippedAsInvalidDoNotCountAsTrimmed() throws {
        var options = DelimitedReadOptions()
        options.skipInvalid = true
        let (_, report) = try parse("a \tx\t1\nb \ty\tlots\n", options)
        XCTAssertEqual(report.rowsSkipped, 1)
        XCTAssertEqual(report.idsTrimmed, 1)
    }

    func testAnIDOfOnlyWhitespaceIsAnEmptyID() throws {
        XCTAssertThrowsError(try parse("a\tx\t1\n  \ty\t2\n")) { error in
            XCTAssertEqual(error as? EncoreError, .invalidRow(file: "plays.tsv", line: 2, reason: "the user ID field is empty in '  \\ty\\t2'"))
        }
    }

    func testNamesFileKeysAreTrimmedLikeTheIDs() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try TestSupport.write("1\t65 \t3\n2\t51\t4\n", to: "user_artists.dat", in: directory)
        try TestSupport.write("id\tname\turl\n65 \tColdplay \thttp://x\n 51\tDuran Duran\thttp://y\n", to: "artists.dat", in: directory)
        let (trimmed, report) = try DatasetLoader.load(path: data, format: nil)
        XCTAssertEqual(report.idsTrimmed, 1)
        XCTAssertEqual(trimmed.itemIDs.ids, ["65", "51"])
        XCTAssertEqual(trimmed.itemNames, ["Coldplay", "Duran Duran"])
        var keep = DelimitedReadOptions()
        keep.keepIDWhitespace = true
        let (kept, _) = try DatasetLoader.load(path: data, format: nil, options: keep)
        XCTAssertEqual(kept.itemIDs.ids, ["65 ", "51"])
        XCTAssertEqual(kept.itemNames, ["Coldplay ", ""])
    }

    func testParsingInSlicesGivesWhatOnePassGives() throws {
        // Written by hand: a header, CRLF and blank lines, repeated pairs, IDs first seen late,
        // a timestamp column and one bad row, so every part of the join is exercised.
        var lines = ["listener\tartist\tplays\twhen"]
        for row in 0..<300 { lines.append("user \(row % 41)\(row % 17 == 4 ? " " : "")\tartist \((row * 7) % 29 + row / 100)\t\(row % 5 + 1)\t\(1_600_000_000 + row)" + (row % 3 == 0 ? "\r" : "")) }
        lines.insert("", at: 120)
        lines[250] = "user 3\tartist 4\tmany\t1600000000"
        let text = lines.joined(separator: "\n")
        var options = DelimitedReadOptions()
        options.timestampColumn = .index(3)
        options.skipInvalid = true
        let bytes = Array(text.utf8)
        let (whole, wholeReport) = try bytes.withUnsafeBufferPointer { try DelimitedReader.parseInOnePass($0, fileName: "p.tsv", options: options) }
        XCTAssertEqual(wholeReport.rowsSkipped, 1)
        XCTAssertEqual(wholeReport.skipExamples, ["p.tsv:251: weight 'many' is not a number"])
        XCTAssertEqual(wholeReport.idsTrimmed, 18)
        for slices in [2, 3, 7] {
            let (sliced, report) = try bytes.withUnsafeBufferPointer { try DelimitedReader.parseInSlices($0, fileName: "p.tsv", options: options, slices: slices) }
            XCTAssertEqual(sliced.userIDs, whole.userIDs, "\(slices) slices")
            XCTAssertEqual(sliced.itemIDs, whole.itemIDs, "\(slices) slices")
            XCTAssertEqual(sliced.users, whole.users, "\(slices) slices")
            XCTAssertEqual(sliced.items, whole.items, "\(slices) slices")
            XCTAssertEqual(sliced.weights, whole.weights, "\(slices) slices")
            XCTAssertEqual(sliced.timestamps, whole.timestamps, "\(slices) slices")
            XCTAssertEqual(report, wholeReport, "\(slices) slices")
        }
        options.skipInvalid = false
        XCTAssertThrowsError(try bytes.withUnsafeBufferPointer { try DelimitedReader.parseInSlices($0, fileName: "p.tsv", options: options, slices: 3) }) { error in
            XCTAssertEqual(error as? EncoreError, .invalidRow(file: "p.tsv", line: 251, reason: "weight 'many' is not a number"))
        }
    }
}
