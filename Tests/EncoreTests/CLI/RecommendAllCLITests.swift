import XCTest
@testable import Encore

/// `recommend-all`'s formats: TSV with bare IDs, TSV with names (`--names`), JSON lines (`--json`).
final class RecommendAllCLITests: XCTestCase {
    /// A Last.fm-2K-shaped folder: plays, and artist names for all but artist 7 (and a tab-free
    /// name with a quote and non-ASCII letters).
    func trainNamedModel(in directory: URL) throws -> String {
        var rows = ""
        for u in 0..<8 { for i in 0..<10 where u % 2 == i % 2 && i != u { rows += "\(u + 100)\t\(i)\t\(1 + (u * i) % 7)\n" } }
        let data = try TestSupport.write(rows, to: "user_artists.dat", in: directory)
        var names = "id\tname\turl\tpictureURL\n"
        for i in 0..<10 where i != 7 { names += "\(i)\tArtist “\(i)” Björk\thttp://x/\(i)\thttp://y/\(i)\n" }
        try TestSupport.write(names, to: "artists.dat", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        let train = try TestSupport.encore(["train", data, "--output", model, "--factors", "3", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        return model
    }

    func testJSONLinesHaveOneObjectPerUserWithIDsNamesAndScores() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let model = try trainNamedModel(in: directory)
        let tsv = try TestSupport.encore(["recommend-all", model, "--count", "4"])
        XCTAssertEqual(tsv.status, 0, tsv.stderr)
        let rows = tsv.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertTrue(rows.allSatisfy { $0.count == 3 }, "bare IDs by default")

        let run = try TestSupport.encore(["recommend-all", model, "--count", "4", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 8, "one line per user")
        var fromJSON: [[String]] = []
        for line in lines {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            let user = try XCTUnwrap(object["user"] as? String)
            let list = try XCTUnwrap(object["recommendations"] as? [[String: Any]])
            XCTAssertEqual(list.count, 4)
            for entry in list {
                let item = try XCTUnwrap(entry["item"] as? String)
                let score = try XCTUnwrap(entry["score"] as? Double)
                if item == "7" {
                    XCTAssertNil(entry["name"], "artist 7 has no name in artists.dat")
                } else {
                    XCTAssertEqual(entry["name"] as? String, "Artist “\(item)” Björk")
                }
                fromJSON.append([user, item, "\(Float(score))"])
            }
        }
        XCTAssertEqual(fromJSON, rows, "the same lists as the TSV, in the same order")

        let subset = try TestSupport.write("105\n102\n", to: "users.txt", in: directory)
        let ordered = try TestSupport.encore(["recommend-all", model, "--count", "2", "--json", "--users", subset])
        XCTAssertEqual(ordered.stdout.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["user"] as? String }, ["105", "102"])

        let output = directory.appendingPathComponent("recs.jsonl").path
        let written = try TestSupport.encore(["recommend-all", model, "--count", "4", "--json", "--output", output])
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), run.stdout)
    }

    func testNamesAddAFourthColumn() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let model = try trainNamedModel(in: directory)
        let bare = try TestSupport.encore(["recommend-all", model, "--count", "5", "--include-seen"])
        let run = try TestSupport.encore(["recommend-all", model, "--count", "5", "--include-seen", "--names"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let rows = run.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.count, 8 * 5)
        XCTAssertEqual(rows.map { $0.prefix(3).joined(separator: "\t") }, bare.stdout.split(separator: "\n").map(String.init), "the first three columns are unchanged")
        for row in rows {
            XCTAssertEqual(row.count, 4, "\(row)")
            XCTAssertEqual(row[3], row[1] == "7" ? "" : "Artist “\(row[1])” Björk")
        }
        XCTAssertTrue(rows.contains { $0[1] == "7" }, "artist 7, which has no name, is recommended to someone")

        // A model whose data set has no names cannot give them.
        let plain = try TestSupport.write("a\tx\t1\nb\ty\t2\na\ty\t1\n", to: "plays.tsv", in: directory)
        let unnamed = directory.appendingPathComponent("plain.encore").path
        XCTAssertEqual(try TestSupport.encore(["train", plain, "--output", unnamed, "--factors", "2", "--quiet"]).status, 0)
        let refused = try TestSupport.encore(["recommend-all", unnamed, "--names"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("has no item names"), refused.stderr)
    }
}
