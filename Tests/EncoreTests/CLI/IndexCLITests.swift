import XCTest
@testable import Encore

/// `encore index` end to end: build, the commands' --approximate and --exact, --evaluate, and the
/// refusals of a missing, damaged or foreign index. The index's lists are checked against the
/// exact command's lists (recall@10 over every user), which the rest of the suite checks against
/// brute force. Skipped only where this build has no FAISS.
final class IndexCLITests: XCTestCase {
    func testIndexCommandsEndToEnd() throws {
        try XCTSkipUnless(FAISSIndex.isAvailable, ApproximateIndexTests.skipReason)
        let directory = try TestSupport.temporaryDirectory(self).path
        let plays = directory + "/plays.tsv", model = directory + "/m.encore", index = model + ".index"
        XCTAssertEqual(try TestSupport.encore(["synth", "--users", "1500", "--items", "8000", "--mean-per-user", "25", "--seed", "3", "--output", plays]).status, 0)
        let trained = try TestSupport.encore(["train", plays, "--output", model, "--factors", "16", "--iterations", "6", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let user = String(try String(contentsOfFile: plays, encoding: .utf8).prefix { $0 != "\t" })

        let missing = try TestSupport.encore(["recommend", model, "--user", user, "--approximate"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no index beside the model; build it with encore index"), missing.stderr)
        XCTAssertEqual(try TestSupport.encore(["recommend", model, "--user", user, "--approximate", "--exact"]).status, 2)

        let built = try TestSupport.encore(["index", model])
        XCTAssertEqual(built.status, 0, built.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: index))
        XCTAssertTrue(built.stderr.contains("recall@10 on 200 sampled users"), built.stderr)
        // A small catalogue: the commands stay exact unless asked.
        XCTAssertTrue(built.stderr.contains("answer exactly unless asked with --approximate"), built.stderr)

        // recommend-all both ways: every list full, and recall@10 of the index's against the exact ones.
        func lists(_ path: String) throws -> [String: Set<String>] {
            let run = try TestSupport.encore(["recommend-all", model, "--\(path)"])
            XCTAssertEqual(run.status, 0, run.stderr)
            var lists: [String: Set<String>] = [:]
            for line in run.stdout.split(separator: "\n") {
                let fields = line.split(separator: "\t").map(String.init)
                lists[fields[0], default: []].insert(fields[1])
            }
            return lists
        }
        let exact = try lists("exact"), approximate = try lists("approximate")
        XCTAssertEqual(exact.count, 1500)
        XCTAssertEqual(Set(exact.keys), Set(approximate.keys))
        var recall = 0.0
        for (user, truth) in exact {
            XCTAssertEqual(approximate[user]?.count, truth.count, "user \(user)")
            recall += Double(truth.intersection(approximate[user] ?? []).count) / Double(truth.count)
        }
        XCTAssertGreaterThanOrEqual(recall / Double(exact.count), ApproximateIndex.requiredRecall)

        let evaluated = try TestSupport.encore(["index", model, "--evaluate", "--users", "100", "--items", "100"])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        XCTAssertTrue(evaluated.stdout.contains("recommend: recall@10 ") && evaluated.stdout.contains("similar:   recall@10 "), evaluated.stdout)
        let item = try XCTUnwrap(approximate.values.first?.first)
        let similar = try TestSupport.encore(["similar", model, "--item", item, "--approximate", "--min-listeners", "0"])
        XCTAssertEqual(similar.status, 0, similar.stderr)
        let radio = try TestSupport.encore(["radio", model, "--seed", item, "--approximate", "--length", "5", "--json"])
        XCTAssertEqual(radio.status, 0, radio.stderr)
        XCTAssertEqual(radio.stdout.split(separator: "\n").count, 5)

        // Damage: refused with the reason where the index would answer (asked for, or
        // recommend-all's own choice); a one-shot command without --approximate and --exact do
        // not read it.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: index))
        bytes[bytes.count / 3] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: index))
        for arguments in [["recommend-all", model], ["similar", model, "--item", item, "--approximate"]] {
            let refused = try TestSupport.encore(arguments)
            XCTAssertEqual(refused.status, 1, "\(arguments)")
            XCTAssertTrue(refused.stderr.contains("m.encore.index: not a usable index: its checksum does not match"), refused.stderr)
        }
        XCTAssertEqual(try TestSupport.encore(["recommend", model, "--user", user, "--exact"]).status, 0)
        XCTAssertEqual(try TestSupport.encore(["recommend", model, "--user", user]).status, 0)
        // Another model (retrained: another checksum) beside the old index.
        XCTAssertEqual(try TestSupport.encore(["index", model]).status, 0)
        XCTAssertEqual(try TestSupport.encore(["train", plays, "--output", model, "--factors", "16", "--iterations", "5", "--quiet"]).status, 0)
        let foreign = try TestSupport.encore(["recommend", model, "--user", user, "--approximate"])
        XCTAssertEqual(foreign.status, 1)
        XCTAssertTrue(foreign.stderr.contains("it was built from another model"), foreign.stderr)
    }
}
