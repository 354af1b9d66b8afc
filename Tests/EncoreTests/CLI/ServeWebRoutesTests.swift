import XCTest

/// The page at `/` and the JSON routes it uses, through the real binary: what they answer and
/// that they validate and fail as every other route does (JSON errors, 400/404/405).
final class ServeWebRoutesTests: XCTestCase {
    func testThePageAndItsRoutesAnswerAndFailLikeTheRestOfTheAPI() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        // ServeTests' small model: u even plays every even artist, u odd every odd one.
        var rows = ""
        for u in 0..<30 { for i in 0..<20 where u % 2 == i % 2 { rows += "u\(u)\ta\(i)\t\(1 + (u + i) % 5)\n" } }
        let model = directory.appendingPathComponent("m.encore").path
        let train = try TestSupport.encore(["train", try TestSupport.write(rows, to: "plays.tsv", in: directory), "--output", model, "--factors", "4", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let server = try ServeTests.Server(model: model)
        defer { server.signal(SIGKILL) }

        let (status, page) = try server.request("/")
        XCTAssertEqual(status, 200)
        XCTAssertTrue(page.hasPrefix("<!doctype html>") && page.contains("<title>Encore</title>") && page.contains("<label for=\"search\">"), String(page.prefix(300)))
        XCTAssertFalse(page.contains("http://") || page.contains("https://"), "the page loads nothing from elsewhere")

        let search = try server.json("/v1/search?q=A1&count=3")
        let results = try XCTUnwrap(search["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["item"] as? String }, ["a1", "a10", "a11"], "the ID itself, then IDs that start with it, most listened first")
        XCTAssertEqual(results.map { $0["match"] as? String }, ["exact", "prefix", "prefix"])
        XCTAssertEqual(results.first?["listeners"] as? Int, 15)

        let items = try XCTUnwrap(try server.json("/v1/items?item=a2&item=a3")["items"] as? [[String: Any]])
        XCTAssertEqual(items.map { $0["item"] as? String }, ["a2", "a3"])
        let map = try server.json("/v1/map?count=5&item=a19")
        let points = try XCTUnwrap(map["points"] as? [[String: Any]])
        XCTAssertEqual(points.count, 6)
        XCTAssertEqual(points.filter { $0["basis"] as? Bool == true }.count, 5)
        XCTAssertEqual((map["explained_variance"] as? [Double])?.count, 2)

        let plays = try server.json("/v1/users/u4/plays?count=3")
        XCTAssertEqual(plays["artists"] as? Int, 10)
        let counts = try XCTUnwrap(plays["plays"] as? [[String: Any]]).compactMap { $0["plays"] as? Double }
        XCTAssertEqual(counts, [5, 5, 4], "u4's largest play counts (1 + (4 + i) % 5 over its even artists)")
        let fans = try XCTUnwrap(try server.json("/v1/items/a2/listeners?count=4")["top_listeners"] as? [[String: Any]])
        XCTAssertEqual(fans.count, 4)
        // a2's listeners are the even users, u playing it 1 + (u + 2) % 5 times: 5 for u2, u12,
        // u22, then 4 for u6, u16, u26 (equal counts in the order the users were read).
        XCTAssertEqual(fans.compactMap { $0["user"] as? String }, ["u2", "u12", "u22", "u6"])
        XCTAssertEqual(fans.compactMap { $0["plays"] as? Double }, [5, 5, 5, 4])

        let facts = try server.json("/v1/model")
        XCTAssertEqual(facts["users"] as? Int, 30)
        XCTAssertEqual(facts["items"] as? Int, 20)
        XCTAssertEqual(facts["factors"] as? Int, 4)
        XCTAssertEqual((facts["configuration"] as? [String: Any])?["regularization_scaling"] as? String, "spark")
        XCTAssertNotNil((facts["training"] as? [String: Any])?["created_at"] as? String)
        let stored = try Data(contentsOf: URL(fileURLWithPath: model)).suffix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual(facts["checksum"] as? String, String(format: "%016llx", stored))

        let errors: [(String, String, Int)] = [
            ("/v1/search", "GET", 400), ("/v1/search?q=", "GET", 400), ("/v1/search?q=%20", "GET", 400),
            ("/v1/search?q=a&count=0", "GET", 400), ("/v1/search?q=a&count=5000", "GET", 400),
            ("/v1/items", "GET", 400), ("/v1/items?item=", "GET", 400), ("/v1/items?item=nope", "GET", 404),
            ("/v1/map?count=0", "GET", 400), ("/v1/map?item=nope", "GET", 404),
            ("/v1/users/nobody/plays", "GET", 404), ("/v1/users/u4/plays?count=x", "GET", 400),
            ("/v1/items/nope/listeners", "GET", 404), ("/v1/items/a2/listeners?count=-1", "GET", 400),
            ("/v1/search?q=a", "POST", 405), ("/v1/model", "POST", 405), ("/", "POST", 405),
        ]
        for (path, method, status) in errors {
            let (got, text) = try server.request(path, method: method)
            XCTAssertEqual(got, status, "\(method) \(path): \(text)")
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            XCTAssertEqual(object?["status"] as? Int, status, "a JSON error body for \(method) \(path): \(text)")
        }
        let (_, unknown) = try server.request("/v1/items?item=a99")
        XCTAssertTrue(unknown.contains("closest: a19, a9"), unknown)
    }
}
