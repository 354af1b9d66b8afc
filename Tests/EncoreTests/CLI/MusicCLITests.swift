import XCTest
@testable import Encore

/// The music commands through the binary, on the real Last.fm 2K data.
final class MusicCLITests: XCTestCase {
    func testSimilarAndRadioLeaveOutArtistsWithFewListenersOnLastfm() throws {
        guard let data = TestSupport.lastfm2k else { throw XCTSkip("../shared/data/lastfm-2k is not beside the checkout") }
        // Listeners per artist, counted from the file itself.
        var listeners: [String: Int] = [:]
        for line in try String(contentsOfFile: data, encoding: .utf8).split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.count == 3, let plays = Double(fields[2]), plays > 0 { listeners[fields[1], default: 0] += 1 }
        }
        XCTAssertEqual(listeners["15656"], 1, "Dente has one listener")
        let directory = try TestSupport.temporaryDirectory(self)
        let model = directory.appendingPathComponent("m.encore").path
        let train = try TestSupport.encore(["train", data, "--output", model, "--iterations", "4", "--confidence", "log", "--regularization-scaling", "flat", "--regularization", "10", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)

        func items(_ run: TestSupport.Run) -> [(String, Double)] {
            run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.map { ($0["item"] as! String, $0["score"] as! Double) }
        }
        // A one-listener artist: its nearest are other artists of that one listener, all at cosine 1.
        let unfiltered = try TestSupport.encore(["similar", model, "--item", "15656", "--count", "5", "--json", "--min-listeners", "0"])
        XCTAssertEqual(unfiltered.status, 0, unfiltered.stderr)
        XCTAssertTrue(items(unfiltered).allSatisfy { listeners[$0.0] == 1 && $0.1 > 0.99 }, unfiltered.stdout)
        let dente = try TestSupport.encore(["similar", model, "--item", "15656", "--count", "20", "--json"])
        XCTAssertEqual(dente.status, 0, dente.stderr)
        XCTAssertEqual(items(dente).count, 20)
        XCTAssertTrue(items(dente).allSatisfy { listeners[$0.0]! >= 5 }, dente.stdout)
        XCTAssertTrue(dente.stderr.contains("leaving out artists with fewer than 5 listeners"), dente.stderr)
        XCTAssertTrue(dente.stderr.contains("warning: 15656 (Dente) has 1 listener"), dente.stderr)

        let table = try TestSupport.encore(["similar", model, "--item", "Britney Spears", "--count", "50"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.hasPrefix("Similar to 289 (Britney Spears), leaving out artists with fewer than 5 listeners:\n"), table.stdout)
        XCTAssertEqual(table.stderr, "")
        let json = try TestSupport.encore(["similar", model, "--item", "289", "--count", "50", "--json", "--min-listeners", "20"])
        XCTAssertTrue(items(json).allSatisfy { listeners[$0.0]! >= 20 }, json.stdout)

        let radio = try TestSupport.encore(["radio", model, "--seed", "15656", "--seed", "The Beatles", "--length", "40", "--json"])
        XCTAssertEqual(radio.status, 0, radio.stderr)
        XCTAssertEqual(items(radio).count, 40)
        XCTAssertTrue(items(radio).allSatisfy { listeners[$0.0]! >= 5 }, radio.stdout)
        XCTAssertTrue(radio.stderr.contains("warning: 15656 (Dente) has 1 listener"), radio.stderr)
        XCTAssertFalse(radio.stderr.contains("The Beatles"), radio.stderr)
        let radioTable = try TestSupport.encore(["radio", model, "--seed", "The Beatles", "--length", "5", "--min-listeners", "3"])
        XCTAssertTrue(radioTable.stdout.hasPrefix("Radio from The Beatles, leaving out artists with fewer than 3 listeners:\n"), radioTable.stdout)
    }

    func testRadioExplainFoldInAndFiltersOnLastfm() throws {
        guard let data = TestSupport.lastfm2k else { throw XCTSkip("../shared/data/lastfm-2k is not beside the checkout") }
        let directory = try TestSupport.temporaryDirectory(self)
        let model = directory.appendingPathComponent("m.encore").path
        let train = try TestSupport.encore(["train", data, "--output", model, "--spark-defaults", "--iterations", "4", "--confidence", "log", "--regularization-scaling", "flat", "--regularization", "10", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)

        let radio = try TestSupport.encore(["radio", model, "--seed", "the beatles", "--length", "20", "--json", "--seed-random", "3"])
        XCTAssertEqual(radio.status, 0, radio.stderr)
        let picks = radio.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(picks.count, 20)
        XCTAssertEqual(picks.map { $0["position"] as? Int }, (1...20).map { $0 })
        XCTAssertEqual(Set(picks.compactMap { $0["item"] as? String }).count, 20)
        XCTAssertTrue(picks.allSatisfy { ($0["reason"] as? String)?.contains("The Beatles") == true && $0["name"] is String && $0["score"] is Double })
        XCTAssertEqual(try TestSupport.encore(["radio", model, "--seed", "227", "--length", "20", "--json", "--seed-random", "3"]).stdout, radio.stdout)

        let explain = try TestSupport.encore(["explain", model, "--user", "2", "--item", "Radiohead", "--json"])
        XCTAssertEqual(explain.status, 0, explain.stderr)
        let lines = explain.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let total = try XCTUnwrap(lines.last?["score"] as? Double)
        let sum = lines.dropLast().compactMap { $0["contribution"] as? Double }.reduce(0, +)
        XCTAssertEqual(sum, total, accuracy: 1e-3)
        XCTAssertEqual(lines.count - 1, 50, "user 2 played 50 artists")
        // The text says what `recommend` printed whenever the exact split's total differs from it
        // as printed, and only then: a model trained by default (CG, whose vectors are three steps
        // from each exact solve).
        let cgModel = directory.appendingPathComponent("cg.encore").path
        XCTAssertEqual(try TestSupport.encore(["train", data, "--output", cgModel, "--quiet"]).status, 0)
        let recommended = try TestSupport.encore(["recommend", cgModel, "--user", "2", "--count", "10", "--json"])
        var differing = 0
        for line in recommended.stdout.split(separator: "\n") {
            let entry = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let item = try XCTUnwrap(entry["item"] as? String), printed = String(format: "%.4f", try XCTUnwrap(entry["score"] as? Double))
            let json = try TestSupport.encore(["explain", cgModel, "--user", "2", "--item", item, "--json"])
            let last = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.split(separator: "\n").last!.utf8)) as? [String: Any])
            let total = String(format: "%.4f", try XCTUnwrap(last["score"] as? Double))
            XCTAssertEqual(String(format: "%.4f", try XCTUnwrap(last["model_score"] as? Double)), printed, "item \(item)")
            let text = try TestSupport.encore(["explain", cgModel, "--user", "2", "--item", item]).stdout
            let note = "(the model's stored vector scores \(printed):"
            if total != printed {
                differing += 1
                XCTAssertTrue(text.contains(note), text)
            } else {
                XCTAssertFalse(text.contains("stored vector"), text)
            }
        }
        XCTAssertGreaterThan(differing, 0, "some total differs from the recommended score in its fourth decimal")

        let plays = try TestSupport.write("289\t120\nRihanna\t30\n", to: "plays.tsv", in: directory)
        let foldIn = try TestSupport.encore(["recommend", model, "--plays", plays, "--count", "5", "--json"])
        XCTAssertEqual(foldIn.status, 0, foldIn.stderr)
        let items = foldIn.stdout.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["item"] as? String }
        XCTAssertEqual(items.count, 5)
        XCTAssertFalse(items.contains("289") || items.contains("288"), "played artists are not recommended back")
        let inline = try TestSupport.encore(["recommend", model, "--plays", "289:120,Rihanna:30", "--count", "5", "--json"])
        XCTAssertEqual(inline.stdout, foldIn.stdout)

        let exclude = try TestSupport.write("\(items[0])\n", to: "exclude.txt", in: directory)
        let filtered = try TestSupport.encore(["recommend", model, "--plays", plays, "--count", "5", "--json", "--exclude", exclude])
        XCTAssertFalse(filtered.stdout.contains("\"item\":\"\(items[0])\""))

        let bad = try TestSupport.write("289\t120\nNo Such Band Ever\t3\n", to: "bad.tsv", in: directory)
        let badRun = try TestSupport.encore(["recommend", model, "--plays", bad])
        XCTAssertEqual(badRun.status, 1)
        XCTAssertTrue(badRun.stderr.contains("\(bad):2: no item with ID or name 'No Such Band Ever'"), badRun.stderr)

        let listeners = try TestSupport.encore(["recommend-items", model, "--count", "3"])
        XCTAssertEqual(listeners.status, 0, listeners.stderr)
        XCTAssertEqual(listeners.stdout.split(separator: "\n").count, 17632 * 3)

        let similarUsers = try TestSupport.encore(["similar-users", model, "--user", "2", "--count", "4", "--json"])
        XCTAssertEqual(similarUsers.stdout.split(separator: "\n").count, 4)
    }
}
