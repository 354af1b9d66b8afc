import XCTest
@testable import Encore

/// `encore serve` under concurrent load answers each user exactly as `encore recommend` does:
/// the same items in the same order with the same printed scores, whether the request was scored
/// alone or batched with others (CoalescingRecommender). Before scoring went through one kernel,
/// a batched request's scores differed from a lone one's in the last digits.
final class ServeSameAnswerTests: XCTestCase {
    func testAnswersUnderConcurrentLoadEqualEncoreRecommend() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        // k = 32 (the 16-lane vector path); 4,000 items, so that scoring a user takes long
        // enough for requests arriving together to be scored in one pass.
        var rows = ""
        var random = RandomSource(seed: 6)
        for u in 0..<200 {
            for _ in 0..<40 { rows += "u\(u)\ta\((u * 20 + Int(random.next() % 400)) % 4000)\t\(1 + random.next() % 40)\n" }
        }
        let data = try TestSupport.write(rows, to: "plays.tsv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        let train = try TestSupport.encore(["train", data, "--output", model, "--factors", "32", "--iterations", "5", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)

        let userCount = 48
        // What `encore recommend --json` prints: one object per item.
        var expected: [String: [[String]]] = [:]
        for user in (0..<userCount).map({ "u\($0)" }) {
            let run = try TestSupport.encore(["recommend", model, "--user", user, "--count", "10", "--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            expected[user] = try run.stdout.split(separator: "\n").map { line in
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return [object["item"] as? String ?? "", Self.scoreText(String(line))]
            }
        }

        let server = try ServeTests.Server(model: model)
        defer { server.signal(SIGKILL) }
        // Four clients at once, each asking for every user over 32 parallel connections: most
        // requests wait behind others and are scored in batches.
        let output = directory.appendingPathComponent("answers")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        DispatchQueue.concurrentPerform(iterations: 4) { lane in
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-s", "--parallel", "--parallel-immediate", "--parallel-max", "32",
                              "http://127.0.0.1:\(server.port)/v1/users/u[0-\(userCount - 1)]/recommendations?count=10",
                              "-o", output.appendingPathComponent("\(lane)-#1.json").path]
            try? curl.run()
            curl.waitUntilExit()
        }
        for lane in 0..<4 {
            for user in 0..<userCount {
                let body = (try? String(contentsOf: output.appendingPathComponent("\(lane)-\(user).json"), encoding: .utf8)) ?? ""
                let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                let list = object?["recommendations"] as? [[String: Any]] ?? []
                // The score as the server printed it, item by item.
                let answer = zip(list, Self.scoreTexts(body)).map { [$0["item"] as? String ?? "", $1] }
                XCTAssertEqual(answer, expected["u\(user)"], "client \(lane), user u\(user): \(body)")
            }
        }

        // A listener the model has not seen: the server scores longest first and stops early,
        // `encore recommend --plays` scores every item; the lists must be the same.
        for plays in ["a0:3,a17:40,a399:1", "a2021:5", "a5:1,a6:1,a7:1,a8:1,a9:1,a2000:12"] {
            let run = try TestSupport.encore(["recommend", model, "--plays", plays, "--count", "25", "--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let cli = try run.stdout.split(separator: "\n").map { line in
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return [object["item"] as? String ?? "", Self.scoreText(String(line))]
            }
            let history = plays.split(separator: ",").map { entry in
                let parts = entry.split(separator: ":")
                return "\"\(parts[0])\": \(parts[1])"
            }.joined(separator: ", ")
            let (status, body) = try server.request("/v1/recommendations", method: "POST", body: "{\"plays\": {\(history)}, \"count\": 25}")
            XCTAssertEqual(status, 200, body)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            let list = object["recommendations"] as? [[String: Any]] ?? []
            XCTAssertEqual(cli.count, 25)
            XCTAssertEqual(zip(list, Self.scoreTexts(body)).map { [$0["item"] as? String ?? "", $1] }, cli, "fold-in of \(plays)")
        }
    }

    /// The text of the first `"score":` value of a line.
    static func scoreText(_ line: String) -> String { scoreTexts(line).first ?? "" }

    /// The texts of every `"score":` value, in order.
    static func scoreTexts(_ text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let range = rest.range(of: "\"score\":") {
            rest = rest[range.upperBound...]
            found.append(String(rest.prefix { "0123456789.-eE+".contains($0) }))
        }
        return found
    }
}
