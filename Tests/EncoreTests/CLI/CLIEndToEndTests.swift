import XCTest
@testable import Encore

/// The `encore` binary, end to end: files written by hand, and the real Last.fm 2K data.
final class CLIEndToEndTests: XCTestCase {
    func testDemoPrintsSparksTableAndScores() throws {
        let run = try TestSupport.encore(["demo"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        // Spark's show() pads each column to its longest cell, so the width follows the digits
        // the scores print with.
        XCTAssertTrue(lines.contains { $0.range(of: #"^\|userId\|recommendations +\|$"#, options: .regularExpression) != nil }, run.stdout)
        let expected: [String: [(String, Float)]] = [
            "0": [("30", 0.9974), ("10", 0.9599), ("20", 0.9225)],
            "1": [("10", 0.9859), ("30", 0.9187), ("20", 0.1163)],
            "2": [("20", 0.9887), ("30", 0.9601), ("10", 0.1075)],
        ]
        for (user, list) in expected {
            let row = try XCTUnwrap(lines.first { $0.hasPrefix("|\(user) ") }, "no row for user \(user)")
            // |0     |[{30, 0.99522454}, {10, 0.96014494}, {20, 0.91999644}]|
            let pairs = row.split(separator: "{").dropFirst().map { $0.split(separator: "}")[0].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            XCTAssertEqual(pairs.map { $0[0] }, list.map(\.0), row)
            for (pair, want) in zip(pairs, list) { XCTAssertEqual(Float(pair[1])!, want.1, accuracy: 0.01, row) }
        }
        XCTAssertTrue(run.stdout.contains("Trained 10 iterations in"), run.stdout)
    }

    func testTrainRecommendSimilarAndRecommendAllOnAHandWrittenFile() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        var rows = "listener,artist,plays\r\n"
        for u in 0..<12 { for i in 0..<10 where u % 2 == i % 2 && !(u == 4 && i == 6) { rows += "user \(u),\"Artist, \(i)\",\(1 + (u + i) % 3)\r\n" } }
        let data = try TestSupport.write(rows, to: "plays.csv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        let train = try TestSupport.encore(["train", data, "--output", model, "--factors", "4", "--iterations", "15", "--user-column", "listener", "--item-column", "artist", "--weight-column", "plays"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(train.stdout.split(separator: "\n").last!.utf8)) as? [String: Any])
        XCTAssertEqual(summary["users"] as? Int, 12)
        XCTAssertEqual(summary["items"] as? Int, 10)
        XCTAssertEqual(summary["interactions"] as? Int, 59)
        for key in ["train_seconds", "seconds_per_iteration", "loss"] { XCTAssertNotNil(summary[key] as? Double, key) }
        // The iterations' own mean time: within the fit, which also holds its set-up.
        let perIteration = try XCTUnwrap(summary["seconds_per_iteration"] as? Double), fit = try XCTUnwrap(summary["train_seconds"] as? Double)
        XCTAssertGreaterThan(perIteration, 0)
        XCTAssertLessThanOrEqual(perIteration * 15, fit)

        let recommend = try TestSupport.encore(["recommend", model, "--user", "user 4", "--count", "2", "--json"])
        XCTAssertEqual(recommend.status, 0, recommend.stderr)
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(recommend.stdout.split(separator: "\n")[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["user"] as? String, "user 4")
        XCTAssertEqual(first["item"] as? String, "Artist, 6")
        XCTAssertNotNil(first["score"] as? Double)

        let similar = try TestSupport.encore(["similar", model, "--item", "Artist, 2", "--count", "3"])
        XCTAssertEqual(similar.status, 0, similar.stderr)
        let similarLines = similar.stdout.split(separator: "\n")
        XCTAssertEqual(similarLines.count, 6, similar.stdout)
        XCTAssertEqual(similarLines.first, "Similar to Artist, 2, leaving out artists with fewer than 5 listeners:")
        for line in similarLines.dropFirst(3) { XCTAssertTrue(["0", "4", "6", "8"].contains { line.contains("Artist, \($0)") }, "an even artist should be most similar: \(line)") }

        let output = directory.appendingPathComponent("recs.tsv").path
        let all = try TestSupport.encore(["recommend-all", model, "--count", "3", "--output", output])
        XCTAssertEqual(all.status, 0, all.stderr)
        let recs = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(recs.count, 12 * 3, "every user has at least 3 unseen artists")
        let trainingPairs = Set(rows.split(separator: "\r\n").dropFirst().map { line -> String in
            let parts = line.split(separator: ",")
            return "\(parts[0])|\(parts[1].dropFirst()),\(parts[2].dropLast())"
        })
        for rec in recs {
            XCTAssertEqual(rec.count, 3)
            XCTAssertFalse(trainingPairs.contains("\(rec[0])|\(rec[1])"), "training pair recommended: \(rec)")
            XCTAssertNotNil(Float(rec[2]))
        }
        XCTAssertEqual(recs.first { $0[0] == "user 4" }?[1], "Artist, 6")
    }

    func testBadInputGivesAClearErrorAndLeavesNoOutput() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try TestSupport.write("a\tx\t1\nb\ty\t2\nc\tz\tmany\n", to: "bad.tsv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        let run = try TestSupport.encore(["train", data, "--output", model])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("\(data):3: weight 'many' is not a number"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: model))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["bad.tsv"])

        // An output folder that does not exist is refused before the data is read, not after the fit.
        let nowhere = directory.appendingPathComponent("missing/m.encore").path
        let noFolder = try TestSupport.encore(["train", data, "--output", nowhere, "--skip-invalid"])
        XCTAssertEqual(noFolder.status, 1)
        XCTAssertTrue(noFolder.stderr.contains("\(nowhere): cannot create a file in its folder"), noFolder.stderr)
        XCTAssertFalse(noFolder.stderr.contains("read 2 rows"), noFolder.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["bad.tsv"])

        let skipping = try TestSupport.encore(["train", data, "--output", model, "--skip-invalid", "--factors", "2"])
        XCTAssertEqual(skipping.status, 0, skipping.stderr)
        XCTAssertTrue(skipping.stderr.contains("skipped 1 invalid row"), skipping.stderr)

        let unknownUser = try TestSupport.encore(["recommend", model, "--user", "nobody"])
        XCTAssertEqual(unknownUser.status, 1)
        XCTAssertTrue(unknownUser.stderr.contains("unknown user 'nobody'"), unknownUser.stderr)
        let unknownItem = try TestSupport.encore(["similar", model, "--item", "nothing"])
        XCTAssertEqual(unknownItem.status, 1)
        XCTAssertTrue(unknownItem.stderr.contains("no item with ID or name 'nothing'"), unknownItem.stderr)

        let notAModel = try TestSupport.encore(["recommend", data, "--user", "a"])
        XCTAssertEqual(notAModel.status, 1)
        XCTAssertTrue(notAModel.stderr.contains("not a usable Encore model file"), notAModel.stderr)

        let badFlag = try TestSupport.encore(["train", data, "--output", model, "--factorz", "3"])
        XCTAssertEqual(badFlag.status, 2)
        XCTAssertTrue(badFlag.stderr.contains("unknown option --factorz"), badFlag.stderr)
        let badValue = try TestSupport.encore(["train", data, "--output", model, "--solver", "magic"])
        XCTAssertEqual(badValue.status, 2)
        XCTAssertTrue(badValue.stderr.contains("--solver must be one of cholesky, cg"), badValue.stderr)

        let empty = try TestSupport.write("", to: "empty.tsv", in: directory)
        let emptyRun = try TestSupport.encore(["train", empty, "--output", model])
        XCTAssertEqual(emptyRun.status, 1)
        XCTAssertTrue(emptyRun.stderr.contains("no interactions found"), emptyRun.stderr)
    }

    func testStraySpacesAroundIDsAreTrimmedAndReported() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try TestSupport.write("a\tx\t1\nb\tx  \t2\n b\ty\t3\na\ty\t1\n", to: "plays.tsv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        let train = try TestSupport.encore(["train", data, "--output", model, "--factors", "2", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("trimmed surrounding whitespace from 2 IDs of \(data) (--keep-id-whitespace keeps IDs as written), for example:\n  \(data):2: 'x  '\n  \(data):3: ' b'\n"), train.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(train.stdout.split(separator: "\n").last!.utf8)) as? [String: Any])
        XCTAssertEqual(summary["users"] as? Int, 2)
        XCTAssertEqual(summary["items"] as? Int, 2)

        let kept = try TestSupport.encore(["train", data, "--output", model, "--factors", "2", "--quiet", "--keep-id-whitespace"])
        XCTAssertEqual(kept.status, 0, kept.stderr)
        XCTAssertFalse(kept.stderr.contains("trimmed"), kept.stderr)
        let keptSummary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(kept.stdout.split(separator: "\n").last).utf8)) as? [String: Any])
        XCTAssertEqual(keptSummary["users"] as? Int, 3)
        XCTAssertEqual(keptSummary["items"] as? Int, 3)
    }

    func testRealLastfm2kEndToEnd() throws {
        guard let data = TestSupport.lastfm2k else { throw XCTSkip("../shared/data/lastfm-2k is not beside the checkout") }
        let directory = try TestSupport.temporaryDirectory(self)
        let model = directory.appendingPathComponent("lastfm.encore").path
        let train = try TestSupport.encore(["train", data, "--output", model, "--spark-defaults", "--iterations", "3", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(train.stdout.split(separator: "\n").last!.utf8)) as? [String: Any])
        XCTAssertEqual(summary["users"] as? Int, 1892)
        // 17,632 artists: "65  " on line 2865 is Coldplay's "65" with stray spaces, trimmed.
        XCTAssertEqual(summary["items"] as? Int, 17632)
        XCTAssertTrue(train.stderr.contains("trimmed surrounding whitespace from 1 ID of \(data) (--keep-id-whitespace keeps IDs as written), for example:\n  \(data):2865: '65  '\n"), train.stderr)
        // The copy in ../shared has no header line (its README says it does): every one of its
        // 92,834 lines is a play, the first being user 2, artist 51; user 61 has no other "65".
        XCTAssertEqual(summary["interactions"] as? Int, 92834)

        let similar = try TestSupport.encore(["similar", model, "--item", "289", "--count", "5", "--json"])
        XCTAssertEqual(similar.status, 0, similar.stderr)
        let lines = similar.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines.allSatisfy { $0.contains("\"name\":") }, "artist names from artists.dat: \(similar.stdout)")

        let recommend = try TestSupport.encore(["recommend", model, "--user", "2", "--count", "10"])
        XCTAssertEqual(recommend.status, 0, recommend.stderr)
        XCTAssertTrue(recommend.stdout.contains("name"), recommend.stdout)
        // User 2's own artists — including 51, Duran Duran, on the file's first line — are not recommended back.
        let all = try TestSupport.encore(["recommend", model, "--user", "2", "--count", "20000", "--json"])
        XCTAssertEqual(all.stdout.split(separator: "\n").count, 17632 - 50)
        XCTAssertFalse(all.stdout.contains("\"item\":\"51\""))
    }
}
