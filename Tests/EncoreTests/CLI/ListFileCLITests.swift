import XCTest
@testable import Encore

/// The item, user and play lists that `--plays`, `--exclude`, `--only`, `--users` and
/// `--items` read, through the binary, with LF and CRLF line ends.
final class ListFileCLITests: XCTestCase {
    /// A checkerboard model: even listeners play even artists, odd listeners odd ones.
    func trainCheckerboard(in directory: URL) throws -> String {
        var rows = ""
        for u in 0..<10 { for i in 0..<8 where u % 2 == i % 2 { rows += "u\(u)\ta\(i)\t\(1 + (u + i) % 3)\n" } }
        let data = try TestSupport.write(rows, to: "plays.tsv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        let train = try TestSupport.encore(["train", data, "--output", model, "--factors", "4", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        return model
    }

    func items(_ run: TestSupport.Run) -> [String] {
        run.stdout.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["item"] as? String }
    }

    func testCRLFListFilesReadLineByLine() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let model = try trainCheckerboard(in: directory)

        // A CRLF plays file means what the inline list with the same plays means.
        let playsFile = try TestSupport.write("a0\t3\r\na2\t5\r\n", to: "plays.tsv", in: directory)
        let fromFile = try TestSupport.encore(["recommend", model, "--plays", playsFile, "--count", "8", "--json"])
        XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
        let inline = try TestSupport.encore(["recommend", model, "--plays", "a0:3,a2:5", "--count", "8", "--json"])
        XCTAssertEqual(fromFile.stdout, inline.stdout)
        XCTAssertEqual(items(fromFile).count, 6, "8 artists less the 2 played")

        // --exclude and --only, CRLF: the listed artists are the ones left out, or the only ones.
        let exclude = try TestSupport.write("a1\r\na3\r\n", to: "exclude.txt", in: directory)
        let excluded = try TestSupport.encore(["recommend", model, "--user", "u0", "--count", "8", "--json", "--exclude", exclude])
        XCTAssertEqual(excluded.status, 0, excluded.stderr)
        XCTAssertEqual(Set(items(excluded)), ["a5", "a7"], "u0 played the even artists; a1 and a3 are excluded")
        let only = try TestSupport.write("a3\r\na5\r\n", to: "only.txt", in: directory)
        let restricted = try TestSupport.encore(["recommend", model, "--user", "u0", "--count", "8", "--json", "--only", only])
        XCTAssertEqual(Set(items(restricted)), ["a3", "a5"])

        // --users (recommend-all) and --items (recommend-items), CRLF: those rows, in that order.
        let users = try TestSupport.write("u3\r\nu0\r\n", to: "users.txt", in: directory)
        let all = try TestSupport.encore(["recommend-all", model, "--users", users, "--count", "1"])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertEqual(all.stdout.split(separator: "\n").map { $0.split(separator: "\t")[0] }, ["u3", "u0"])
        let artists = try TestSupport.write("a7\r\na1\r\n", to: "items.txt", in: directory)
        let listeners = try TestSupport.encore(["recommend-items", model, "--items", artists, "--count", "1"])
        XCTAssertEqual(listeners.status, 0, listeners.stderr)
        XCTAssertEqual(listeners.stdout.split(separator: "\n").map { $0.split(separator: "\t")[0] }, ["a7", "a1"])
    }

    func testRecommendItemsJSONLines() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let model = try trainCheckerboard(in: directory)
        let artists = try TestSupport.write("a7\na2\n", to: "items.txt", in: directory)
        let run = try TestSupport.encore(["recommend-items", model, "--items", artists, "--count", "2", "--include-seen", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = try run.stdout.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(lines.map { $0["item"] as? String }, ["a7", "a7", "a2", "a2"])
        // Odd listeners play the odd artists, even listeners the even ones.
        for line in lines {
            let user = try XCTUnwrap(Int((line["user"] as? String)?.dropFirst() ?? ""))
            let item = try XCTUnwrap(Int((line["item"] as? String)?.dropFirst() ?? ""))
            XCTAssertEqual(user % 2, item % 2, "\(line)")
            XCTAssertNotNil(line["score"] as? Double)
            XCTAssertNil(line["name"], "this data set has no names")
        }
    }

    func testPlaysWithNoPositiveCountAreRefused() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let model = try trainCheckerboard(in: directory)
        // Typed on the command line, the list is a flag's value: a usage error (docs/cli.md's rule).
        let run = try TestSupport.encore(["recommend", model, "--plays", "a0:0,a2:0"])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("no play count above 0"), run.stderr)
        XCTAssertEqual(run.stdout, "")
    }
}
