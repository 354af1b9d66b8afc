import Foundation
import XCTest
import Encore

/// The public API as a user sees it (a plain `import Encore`, no internals), on a checkerboard
/// whose answers are known by construction: even listeners play even items and odd listeners
/// odd items, every such pair but two held out, so each held-out item must come first for its
/// listener, similar items share their parity, and so on.
final class EncoreModelTests: XCTestCase {
    static let users = 12, items = 10
    static let heldOut: [(user: Int, item: Int)] = [(4, 6), (7, 3)]

    static var plays: [Play] {
        var plays: [Play] = []
        for u in 0..<users {
            for i in 0..<items where u % 2 == i % 2 && !heldOut.contains(where: { $0.user == u && $0.item == i }) {
                plays.append(Play(user: "u\(u)", item: "i\(i)", count: Float(1 + (u + i) % 3)))
            }
        }
        return plays
    }

    static let names: [String: String] = Dictionary(uniqueKeysWithValues: (0..<items).map { ("i\($0)", "Item \($0)") })

    static var configuration: ALSConfiguration {
        var configuration = ALSConfiguration()
        configuration.factors = 4
        configuration.iterations = 15
        return configuration
    }

    static func parity(_ itemID: String) -> Int { Int(itemID.dropFirst())! % 2 }

    static func train(threads: Int? = 2) throws -> EncoreModel {
        try EncoreModel.train(plays: plays, itemNames: names, configuration: configuration, threads: threads)
    }

    func testRecommendationsByUserIDPutTheHeldOutItemFirstWithItsIDAndName() throws {
        let model = try Self.train()
        XCTAssertEqual(model.userIDs, (0..<Self.users).map { "u\($0)" })
        XCTAssertEqual(Set(model.itemIDs), Set((0..<Self.items).map { "i\($0)" }))
        for pair in Self.heldOut {
            let list = try model.recommendations(for: "u\(pair.user)", count: 3)
            XCTAssertEqual(list.first?.itemID, "i\(pair.item)")
            XCTAssertEqual(list.first?.name, "Item \(pair.item)")
            XCTAssertEqual(list.map(\.score), list.map(\.score).sorted(by: >), "best first")
        }
        for u in 0..<Self.users {
            let played = Set(Self.plays.filter { $0.userID == "u\(u)" }.map(\.itemID))
            let all = try model.recommendations(for: "u\(u)", count: 100)
            XCTAssertEqual(all.count, Self.items - played.count, "everything not played, nothing more")
            XCTAssertTrue(all.allSatisfy { !played.contains($0.itemID) })
            let withPlayed = try model.recommendations(for: "u\(u)", count: 100, includingPlayed: true)
            XCTAssertEqual(Set(withPlayed.map(\.itemID)), Set(model.itemIDs))
            // The listener's own side of the board ranks above the other side.
            let own = withPlayed.prefix { Self.parity($0.itemID) == u % 2 }
            XCTAssertEqual(own.count, Self.items / 2, withPlayed.map(\.itemID).description)
        }
    }

    func testFiltersTakeIDsOrNames() throws {
        let model = try Self.train()
        let excluded = try model.recommendations(for: "u4", count: 3, excluding: ["Item 6"])
        XCTAssertFalse(excluded.contains { $0.itemID == "i6" })
        let only = try model.recommendations(for: "u4", count: 10, among: ["i1", "Item 3", "i6"])
        XCTAssertEqual(only.first?.itemID, "i6")
        XCTAssertTrue(Set(only.map(\.itemID)).isSubset(of: ["i1", "i3", "i6"]))
    }

    func testFoldInFindsItemsByIDOrNameAndReproducesAKnownListener() throws {
        let model = try Self.train()
        // A new listener of two odd items gets odd items, the ones they played left out.
        let list = try model.recommendations(forPlays: ["i1": 5, "Item 5": 3], count: 3)
        XCTAssertEqual(list.count, 3)
        XCTAssertTrue(list.allSatisfy { Self.parity($0.itemID) == 1 && !["i1", "i5"].contains($0.itemID) }, list.description)
        XCTAssertTrue(try model.recommendations(forPlays: ["i1": 5], count: 10, includingPlayed: true).contains { $0.itemID == "i1" })
        // Folding in a trained listener's own plays gives their own list: the same exact solve
        // training does with the Cholesky solver (CG's three steps stop short of it).
        var exact = Self.configuration
        exact.solver = .cholesky
        let exactModel = try EncoreModel.train(plays: Self.plays, itemNames: Self.names, configuration: exact)
        for user in ["u4", "u7", "u0"] {
            var plays: [String: Float] = [:]
            for play in Self.plays where play.userID == user { plays[play.itemID, default: 0] += play.count }
            // Every item's score, compared item by item: the other parity's scores are all near
            // zero, so their order is noise and comparing lists in order would test the noise.
            let folded = try exactModel.recommendations(forPlays: plays, count: Self.items, includingPlayed: true)
            let known = try exactModel.recommendations(for: user, count: Self.items, includingPlayed: true)
            XCTAssertEqual(folded.count, Self.items)
            XCTAssertEqual(folded.first?.itemID, known.first?.itemID, user)
            let knownScores = Dictionary(uniqueKeysWithValues: known.map { ($0.itemID, $0.score) })
            for item in folded { XCTAssertEqual(item.score, knownScores[item.itemID] ?? .nan, accuracy: 1e-3, "\(user) \(item.itemID)") }
        }
    }

    func testSimilarItemsAndRadioStayOnTheItemsSideOfTheBoard() throws {
        let model = try Self.train()
        let similar = try model.similarItems(to: "Item 2", count: 4)
        XCTAssertEqual(similar.count, 4)
        XCTAssertTrue(similar.allSatisfy { Self.parity($0.itemID) == 0 && $0.itemID != "i2" }, similar.description)
        XCTAssertTrue(similar.allSatisfy { $0.score <= 1.0001 && $0.name == "Item \($0.itemID.dropFirst())" })

        let station = try model.radio(from: ["i3"], length: 4, randomSeed: 1)
        XCTAssertEqual(station.count, 4)
        XCTAssertEqual(Set(station.map(\.itemID)).count, 4, "no repeats")
        XCTAssertTrue(station.allSatisfy { Self.parity($0.itemID) == 1 && $0.itemID != "i3" }, station.description)
        XCTAssertTrue(station.allSatisfy { $0.reason.hasPrefix("near Item 3") }, station.map(\.reason).description)
        XCTAssertEqual(try model.radio(from: ["i3"], length: 4, randomSeed: 1), station, "same seed, same station")
        XCTAssertEqual(try model.radio(from: ["Item 3"], length: 2, for: "u1").count, 2)
    }

    func testExplanationSplitsTheScoreIntoTheListenersPlays() throws {
        let model = try Self.train()
        let explanation = try model.explanation(of: "Item 6", for: "u4")
        XCTAssertEqual(explanation.userID, "u4")
        XCTAssertEqual(explanation.itemID, "i6")
        XCTAssertEqual(explanation.name, "Item 6")
        let played = Set(Self.plays.filter { $0.userID == "u4" }.map(\.itemID))
        XCTAssertEqual(Set(explanation.contributions.map(\.itemID)), played)
        XCTAssertEqual(explanation.contributions.map(\.contribution), explanation.contributions.map(\.contribution).sorted(by: >))
        XCTAssertEqual(explanation.contributions.reduce(0) { $0 + $1.contribution }, explanation.score, accuracy: 1e-4)
        // Trained with the exact solver: the split is of the model's own score, which is the
        // score `recommendations` reports.
        XCTAssertEqual(explanation.score, explanation.modelScore, accuracy: 1e-4)
        let recommended = try XCTUnwrap(try model.recommendations(for: "u4", count: 1).first)
        XCTAssertEqual(recommended.itemID, "i6")
        XCTAssertEqual(recommended.score, explanation.modelScore, accuracy: 1e-4)
    }

    func testProgressIsReportedOncePerIterationAndTheLossFalls() throws {
        var reports: [TrainingProgress] = []
        let model = try EncoreModel.train(plays: Self.plays, configuration: Self.configuration, threads: 1) { reports.append($0) }
        XCTAssertEqual(reports.map(\.iteration), Array(1...15))
        XCTAssertTrue(reports.allSatisfy { $0.iterations == 15 && $0.loss.isFinite && $0.seconds >= 0 })
        // Each ALS half-step minimises the objective exactly over one side: it never rises.
        for (a, b) in zip(reports, reports.dropFirst()) { XCTAssertLessThanOrEqual(b.loss, a.loss * (1 + 1e-6)) }
        XCTAssertEqual(model.summary.lossHistory, reports.map(\.loss))
        XCTAssertNil(model.name(ofItem: "i1"), "no names given")
        XCTAssertEqual(model.configuration, Self.configuration)
    }

    func testTheSameModelFromAFileAndFromMemoryAndAfterSaveAndLoad() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let tsv = Self.plays.map { "\($0.userID)\t\($0.itemID)\t\(Int($0.count))" }.joined(separator: "\n") + "\n"
        let file = URL(fileURLWithPath: try TestSupport.write(tsv, to: "plays.tsv", in: directory))
        let fromFile = try EncoreModel.train(file: file, configuration: Self.configuration, threads: 1)
        let inMemory = try Self.train(threads: 3)
        XCTAssertEqual(fromFile.summary.source, file.path)
        for user in ["u0", "u4", "u7", "u11"] {
            let a = try fromFile.recommendations(for: user, count: 5), b = try inMemory.recommendations(for: user, count: 5)
            XCTAssertEqual(a.map(\.itemID), b.map(\.itemID))
            for (x, y) in zip(a, b) { XCTAssertEqual(x.score, y.score, accuracy: 1e-5) }
            XCTAssertTrue(a.allSatisfy { $0.name == nil } && b.allSatisfy { $0.name != nil })
        }

        let saved = directory.appendingPathComponent("model.encore")
        try inMemory.save(to: saved)
        let loaded = try EncoreModel.load(from: saved)
        XCTAssertEqual(loaded.userIDs, inMemory.userIDs)
        XCTAssertEqual(loaded.itemIDs, inMemory.itemIDs)
        XCTAssertEqual(loaded.configuration, inMemory.configuration)
        XCTAssertEqual(loaded.summary, inMemory.summary)
        XCTAssertEqual(loaded.name(ofItem: "i3"), "Item 3")
        for user in loaded.userIDs { XCTAssertEqual(try loaded.recommendations(for: user), try inMemory.recommendations(for: user)) }
        XCTAssertEqual(try loaded.similarItems(to: "i2"), try inMemory.similarItems(to: "i2"))

        // The command line reads what the library saved.
        let cli = try TestSupport.encore(["recommend", saved.path, "--user", "u4", "--count", "1", "--json"])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        XCTAssertTrue(cli.stdout.contains("\"item\":\"i6\""), cli.stdout)
    }

    func testErrorsNameTheParameterTheValueAndTheRequirement() throws {
        func parameterError(_ body: () throws -> Any) -> (name: String, value: String, message: String)? {
            do { _ = try body() } catch let error as EncoreError {
                if case let .invalidParameter(name, value, _) = error { return (name, value, error.description) }
                XCTFail("not an invalidParameter error: \(error)")
            } catch { XCTFail("not an EncoreError: \(error)") }
            return nil
        }
        var configuration = ALSConfiguration()
        configuration.factors = 0
        let factors = parameterError { try EncoreModel.train(plays: Self.plays, configuration: configuration) }
        XCTAssertEqual(factors?.name, "factors")
        XCTAssertEqual(factors?.value, "0")
        XCTAssertEqual(factors?.message, "factors must be between 1 and 4096 (got 0)")
        configuration = ALSConfiguration()
        configuration.cgSteps = 0
        XCTAssertEqual(parameterError { try configuration.validate() }?.message, "cgSteps must be at least 1 (got 0)")
        configuration = ALSConfiguration()
        configuration.regularization = -1
        XCTAssertEqual(parameterError { try configuration.validate() }?.name, "regularization")
        configuration = ALSConfiguration()
        configuration.nonnegative = true
        configuration.solver = .cg
        XCTAssertEqual(parameterError { try configuration.validate() }?.name, "solver")

        var plays = Self.plays
        plays[3].count = -2
        XCTAssertEqual(parameterError { try EncoreModel.train(plays: plays) }?.message, "plays[3].count must be a finite number ≥ 0 (got -2.0)")
        XCTAssertEqual(parameterError { try EncoreModel.train(plays: []) }?.name, "plays")

        let model = try Self.train()
        XCTAssertEqual(parameterError { try model.recommendations(for: "u1", count: 0) }?.message, "count must be at least 1 (got 0)")
        XCTAssertEqual(parameterError { try model.similarItems(to: "i1", count: -3) }?.name, "count")
        XCTAssertEqual(parameterError { try model.recommendations(forPlays: ["i1": 0]) }?.name, "plays")
        XCTAssertEqual(parameterError { try model.recommendations(forPlays: ["i1": .nan]) }?.name, "plays[\"i1\"]")
        XCTAssertEqual(parameterError { try model.radio(from: []) }?.name, "seeds")
        XCTAssertEqual(parameterError { try model.radio(from: ["i1"], length: 0) }?.name, "length")
        XCTAssertEqual(parameterError { try model.radio(from: ["i1"], diversity: 2) }?.name, "diversity")
        XCTAssertEqual(parameterError { try model.similarItems(to: "i1", minimumListeners: -1) }?.name, "minimumListeners")
        // A station longer than the model can fill is what this model can do, not a bad value.
        XCTAssertThrowsError(try model.radio(from: ["i1"], length: 10)) { error in
            XCTAssertTrue("\(error)".hasSuffix("ask for a length of 9 or less"), "\(error)")
        }

        XCTAssertThrowsError(try model.recommendations(for: "nobody")) { XCTAssertEqual($0 as? EncoreError, .unknownUser("nobody")) }
        XCTAssertThrowsError(try model.similarItems(to: "Item 77")) { error in
            guard case let .itemNotFound(query, suggestions)? = error as? EncoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(query, "Item 77")
            XCTAssertTrue(suggestions.contains("Item 7 (i7)"), suggestions.description)
        }
        XCTAssertThrowsError(try EncoreModel.load(from: URL(string: "https://example.com/model.encore")!)) { error in
            guard case .io? = error as? EncoreError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try EncoreModel.load(from: URL(fileURLWithPath: "/nonexistent/model.encore")))
    }

    func testTheCommandLineNamesFlagsWhereTheLibraryNamesParameters() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try TestSupport.write("a\tx\t1\nb\ty\t2\n", to: "plays.tsv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        let negative = try TestSupport.encore(["train", data, "--output", model, "--regularization", "-1"])
        XCTAssertEqual(negative.status, 2, negative.stderr)
        XCTAssertTrue(negative.stderr.contains("--regularization must be"), negative.stderr)
        let contradiction = try TestSupport.encore(["train", data, "--output", model, "--solver", "cg", "--nonnegative"])
        XCTAssertEqual(contradiction.status, 2, contradiction.stderr)
        XCTAssertTrue(contradiction.stderr.contains("--nonnegative") && contradiction.stderr.contains("cholesky"), contradiction.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: model))
        // A station longer than this model can fill is not a bad value but a runtime failure (1).
        XCTAssertEqual(try TestSupport.encore(["train", data, "--output", model, "--quiet"]).status, 0)
        let radio = try TestSupport.encore(["radio", model, "--seed", "x", "--length", "5", "--min-listeners", "0"])
        XCTAssertEqual(radio.status, 1, radio.stderr)
        XCTAssertTrue(radio.stderr.contains("ask for a length of 1 or less"), radio.stderr)

        let version = try TestSupport.encore(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdout.hasPrefix("encore \(EncoreLibrary.version) (vector kernels: "), version.stdout)
        let parts = EncoreLibrary.version.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertTrue(parts.count == 3 && parts.allSatisfy { UInt($0) != nil }, "a semantic version: \(EncoreLibrary.version)")
    }
}
