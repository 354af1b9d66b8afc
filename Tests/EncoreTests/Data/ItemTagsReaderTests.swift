import XCTest
@testable import Encore

/// The tag readers against files written by hand: what each row becomes, and the errors.
final class ItemTagsReaderTests: XCTestCase {
    /// The weight of `tag` on `item`, by name, or nil.
    func weight(_ tags: TagAssignments, _ item: String, _ tag: String) -> Float? {
        guard let row = tags.itemIDs.index(of: item), let column = tags.tagNames.firstIndex(of: tag) else { return nil }
        let range = tags.matrix.range(ofRow: row)
        return range.first { Int(tags.matrix.indices[$0]) == column }.map { tags.matrix.values[$0] }
    }

    func testThreeColumnFileWithHeaderSumsRepeatsAndMergesTagsThatDifferInCase() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let path = try TestSupport.write("artist\ttag\tcount\nSlowdive\tshoegaze\t3\nSlowdive\tdream pop\t1\nRide\tShoegaze\t2\nSlowdive\tshoegaze\t1\n", to: "tags.tsv", in: directory)
        let (tags, report) = try ItemTagsReader.read(path: path)
        XCTAssertTrue(report.hadHeader)
        XCTAssertEqual(tags.itemIDs.ids, ["Slowdive", "Ride"])
        XCTAssertEqual(tags.tagNames, ["shoegaze", "dream pop"], "'Shoegaze' is the tag 'shoegaze', named as first written")
        XCTAssertEqual(weight(tags, "Slowdive", "shoegaze"), 4)
        XCTAssertEqual(weight(tags, "Slowdive", "dream pop"), 1)
        XCTAssertEqual(weight(tags, "Ride", "shoegaze"), 2)
    }

    func testTwoColumnCommaFileCountsEachRowOnce() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let path = try TestSupport.write("a1,rock\na1,rock\na2,jazz\n", to: "tags.csv", in: directory)
        let (tags, _) = try ItemTagsReader.read(path: path)
        XCTAssertEqual(weight(tags, "a1", "rock"), 2)
        XCTAssertEqual(weight(tags, "a2", "jazz"), 1)
    }

    func testLastfmPresetResolvesTagIDsFromTagsDatWithOrWithoutItsHeader() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.write("tagID\ttagValue\n13\tshoegaze\n15\tdream pop\n", to: "tags.dat", in: directory)
        let rows = "2\t52\t13\t1\t4\t2009\n3\t52\t13\t1\t4\t2009\n3\t53\t15\t1\t4\t2009\n"
        for text in ["userID\tartistID\ttagID\tday\tmonth\tyear\n" + rows, rows] {
            let path = try TestSupport.write(text, to: "user_taggedartists.dat", in: directory)
            let (tags, report) = try ItemTagsReader.read(path: path)
            XCTAssertEqual(report.rowsRead, 3)
            XCTAssertEqual(tags.itemIDs.ids, ["52", "53"])
            XCTAssertEqual(weight(tags, "52", "shoegaze"), 2, "two listeners gave artist 52 tag 13")
            XCTAssertEqual(weight(tags, "53", "dream pop"), 1)
        }
    }

    func testLeavingOutListenersTagsDropsTagsGivenByAListenerOfTheArtist() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.write("13\tshoegaze\n15\tdream pop\n", to: "tags.dat", in: directory)
        let path = try TestSupport.write("2\t52\t13\t1\t4\t2009\n3\t52\t13\t1\t4\t2009\n3\t52\t15\t1\t4\t2009\n", to: "user_taggedartists.dat", in: directory)
        let plays = try Interactions(triples: [(user: "3", item: "52", weight: 10), (user: "2", item: "99", weight: 1)])
        let others = try ItemTagsReader.readLeavingOutListenersTags(path: path, plays: plays)
        XCTAssertEqual(weight(others, "52", "shoegaze"), 1, "only listener 2's tag is left: 3 plays artist 52")
        XCTAssertNil(weight(others, "52", "dream pop"))
        XCTAssertEqual(others.tagNames, try ItemTagsReader.read(path: path).0.tagNames, "numbered as the full read")
    }

    func testBadRowsNameFileLineAndTheTagColumns() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let cases: [(String, String)] = [
            ("a1\trock\t1\n\tjazz\t2\n", "tags.tsv:2: the item ID field is empty"),
            ("a1\trock\t1\na2\t\t2\n", "tags.tsv:2: the tag ID field is empty"),
            ("a1\trock\t1\na2\tjazz\t-1\n", "tags.tsv:2: weight '-1' is negative"),
            ("a1\trock\t1\na2\tjazz\n", "tags.tsv:2: missing field"),
        ]
        for (text, expected) in cases {
            let path = try TestSupport.write(text, to: "tags.tsv", in: directory)
            XCTAssertThrowsError(try ItemTagsReader.read(path: path), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
        let preset = try TestSupport.write("2\t52\t13\t1\t4\t2009\n", to: "user_taggedartists.dat", in: directory)
        XCTAssertThrowsError(try ItemTagsReader.read(path: preset)) { XCTAssertTrue("\($0)".contains("tags.dat: no such file"), "\($0)") }
        try TestSupport.write("14\tpost-rock\n", to: "tags.dat", in: directory)
        XCTAssertThrowsError(try ItemTagsReader.read(path: preset)) { XCTAssertTrue("\($0)".contains("has no name for tag ID '13'"), "\($0)") }
        let empty = try TestSupport.write("", to: "empty.tsv", in: directory)
        XCTAssertThrowsError(try ItemTagsReader.read(path: empty)) { XCTAssertEqual($0 as? EncoreError, .emptyInput(file: empty)) }
    }
}
