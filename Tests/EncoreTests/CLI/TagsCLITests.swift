import XCTest
import EncoreServe
@testable import Encore

/// `--item-tags`, tag stations, tag filters, tag explanations and the cold-start evaluation,
/// through the binary and the HTTP router, on files written by hand.
final class TagsCLITests: XCTestCase {
    /// 40 listeners in two groups: even ones play a0…a9, odd ones a10…a19. a0…a9 are tagged
    /// dream pop (a0…a4 shoegaze too), a10…a19 metal; a99, metal, has no plays.
    func makeFiles() throws -> (directory: URL, plays: String, tags: String) {
        let directory = try TestSupport.temporaryDirectory(self)
        var plays = "", tags = "item\ttag\tcount\n"
        for user in 0..<40 {
            for j in 0..<10 where (user + j) % 3 != 0 { plays += "u\(user)\ta\((user % 2) * 10 + j)\t\((user * 7 + j) % 20 + 1)\n" }
        }
        for j in 0..<10 {
            tags += "a\(j)\tdream pop\t\(j + 1)\n" + (j < 5 ? "a\(j)\tshoegaze\t2\n" : "")
            tags += "a\(j + 10)\tmetal\t3\n"
        }
        tags += "a99\tmetal\t4\n"
        return (directory, try TestSupport.write(plays, to: "plays.tsv", in: directory), try TestSupport.write(tags, to: "tags.tsv", in: directory))
    }

    func train(_ files: (directory: URL, plays: String, tags: String)) throws -> String {
        let model = files.directory.appendingPathComponent("m.encore").path
        let run = try TestSupport.encore(["train", files.plays, "--item-tags", files.tags, "--output", model, "--factors", "4", "--iterations", "6"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("tags of \(files.tags): 3 tags on 20 played items; 1 unplayed items placed from their tags"), run.stderr)
        return model
    }

    func items(_ run: TestSupport.Run) -> [String] {
        run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.compactMap { $0["item"] as? String }
    }

    func testTrainWithTagsThenStationsFiltersAndExplanations() throws {
        let files = try makeFiles()
        let model = try train(files)
        let station = try TestSupport.encore(["radio", model, "--tag", "Metal", "--length", "11", "--min-listeners", "0", "--json"])
        XCTAssertEqual(station.status, 0, station.stderr)
        XCTAssertEqual(Set(items(station)), Set((10..<20).map { "a\($0)" } + ["a99"]), "the metal artists, the unplayed one included")
        let table = try TestSupport.encore(["radio", model, "--tag", "shoegaze", "--tag", "metal", "--length", "4", "--min-listeners", "0"])
        XCTAssertTrue(table.stdout.hasPrefix("Radio from tag shoegaze, tag metal:\n"), table.stdout)
        let recommend = try TestSupport.encore(["recommend", model, "--user", "u1", "--tag", "shoegaze", "--count", "20", "--json"])
        XCTAssertEqual(recommend.status, 0, recommend.stderr)
        XCTAssertEqual(Set(items(recommend)), Set((0..<5).map { "a\($0)" }))
        let explain = try TestSupport.encore(["explain", model, "--user", "u0", "--item", "a3"])
        XCTAssertEqual(explain.status, 0, explain.stderr)
        XCTAssertTrue(explain.stdout.contains("shared tags"), explain.stdout)
        XCTAssertTrue(explain.stdout.contains(", because you play a"), explain.stdout)
        XCTAssertTrue(explain.stdout.contains("both tagged"), explain.stdout)
        let json = try TestSupport.encore(["explain", model, "--user", "u0", "--item", "a3", "--json"])
        XCTAssertTrue(json.stdout.contains("\"tags\":[\"shoegaze\",\"dream pop\"]") || json.stdout.contains("\"tags\":[\"dream pop\""), json.stdout)
        XCTAssertTrue(json.stdout.contains("\"because\":\"because you play"), json.stdout)
    }

    func testTagErrorsExitNonZeroNamingFileLineOrTag() throws {
        let files = try makeFiles()
        let bad = try TestSupport.write("a1\trock\t1\n\tjazz\t2\n", to: "bad.tsv", in: files.directory)
        let run = try TestSupport.encore(["train", files.plays, "--item-tags", bad, "--output", files.directory.appendingPathComponent("x.encore").path])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("bad.tsv:2: the item ID field is empty"), run.stderr)
        let model = try train(files)
        let unknown = try TestSupport.encore(["radio", model, "--tag", "shoegazer", "--length", "3"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no tag 'shoegazer'; closest: shoegaze"), unknown.stderr)
        let both = try TestSupport.encore(["radio", model, "--tag", "metal", "--seed", "a1"])
        XCTAssertEqual(both.status, 2, both.stderr)
        let untagged = files.directory.appendingPathComponent("plain.encore").path
        XCTAssertEqual(try TestSupport.encore(["train", files.plays, "--output", untagged, "--factors", "4", "--iterations", "2", "--quiet"]).status, 0)
        let noTags = try TestSupport.encore(["recommend", untagged, "--user", "u1", "--tag", "metal"])
        XCTAssertEqual(noTags.status, 1)
        XCTAssertTrue(noTags.stderr.contains("the model has no tags"), noTags.stderr)
    }

    func testColdStartEvaluationPrintsEncoreAndTheBaselines() throws {
        let files = try makeFiles()
        let run = try TestSupport.encore(["evaluate", files.plays, "--cold-start-items", "--item-tags", files.tags, "--factors", "4", "--iterations", "6"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("held out 2 of 20 tagged artists with plays (10%)"), run.stdout)
        for method in ["Encore: tags → factors (ridge)", "tag popularity", "random"] { XCTAssertTrue(run.stdout.contains(method), run.stdout) }
        let missing = try TestSupport.encore(["evaluate", files.plays, "--cold-start-items"])
        XCTAssertEqual(missing.status, 2, missing.stderr)
    }

    func testHTTPTagStationAndTagFilter() throws {
        let files = try makeFiles()
        let router = APIRouter(models: try ModelHolder(path: try train(files)), scoringThreads: 1)
        func get(_ path: String, _ arguments: [(name: String, value: String)]) -> (Int, [String: Any]) {
            let response = router.handle(HTTPRequest(method: "GET", path: path, arguments: arguments))
            return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any] ?? [:])
        }
        let (status, radio) = get("/v1/radio", [("tag", "metal"), ("length", "5"), ("min_listeners", "0")])
        XCTAssertEqual(status, 200)
        let picks = (radio["station"] as? [[String: Any]] ?? []).compactMap { $0["item"] as? String }
        XCTAssertEqual(picks.count, 5)
        XCTAssertTrue(picks.allSatisfy { $0 == "a99" || Int($0.dropFirst())! >= 10 }, "\(picks)")
        let (okay, list) = get("/v1/users/u1/recommendations", [("tag", "dream pop"), ("count", "20")])
        XCTAssertEqual(okay, 200)
        let recommended = (list["recommendations"] as? [[String: Any]] ?? []).compactMap { $0["item"] as? String }
        XCTAssertEqual(Set(recommended), Set((0..<10).map { "a\($0)" }))
        let (explained, why) = get("/v1/users/u0/explain", [("item", "a3")])
        XCTAssertEqual(explained, 200)
        XCTAssertTrue((why["because"] as? String)?.hasPrefix("because you play a") == true, "\(why)")
        XCTAssertNotNil((why["contributions"] as? [[String: Any]])?.first?["tags"] as? [String])
        // a99 is placed from its tags: the answer says so, as the CLI does, not "0 listeners".
        let (found, similar) = get("/v1/items/a99/similar", [("count", "3")])
        XCTAssertEqual(found, 200)
        XCTAssertEqual(similar["warning"] as? String, "a99 has no listeners: it is placed from its tags")
        XCTAssertEqual(get("/v1/radio", [("tag", "nope")]).0, 404)
        XCTAssertEqual(get("/v1/radio", [("tag", "metal"), ("seed", "a1")]).0, 400)
    }
}
