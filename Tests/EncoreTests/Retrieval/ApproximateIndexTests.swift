import XCTest
@testable import Encore
@testable import EncoreServe

/// The FAISS index against brute force: recall@10 of its lists against lists computed by a
/// plain loop over every item, the filters it must keep, and the file's refusals. Skipped only
/// where this build has no FAISS (scripts/setup installs libfaiss-dev, so CI runs them).
final class ApproximateIndexTests: XCTestCase {
    static let skipReason = "FAISS is not installed here (apt-get install libfaiss-dev, or scripts/setup, then rebuild)"

    /// A model trained on a synthetic play log: 3000 listeners of 20000 artists with a
    /// power-law popularity, rank 16. Trained once for the whole class.
    static let model: TrainedModel = {
        var generator = try! SyntheticPlays(users: 3000, items: 20000, meanPerUser: 30, seed: 11)
        generator.tastes = 12
        let data = try! Interactions(triples: generator.rows().map { ("u\($0.user)", "i\($0.item)", Float($0.plays)) })
        var configuration = ALSConfiguration()
        configuration.factors = 16
        configuration.iterations = 8
        return try! TrainedModel.train(data, configuration: configuration, threads: 2)
    }()

    override func setUpWithError() throws {
        try XCTSkipUnless(FAISSIndex.isAvailable, ApproximateIndexTests.skipReason)
    }

    func build(_ model: TrainedModel = model, checksum: UInt64 = 42) throws -> ApproximateIndex {
        try ApproximateIndex.build(model, modelChecksum: checksum, settings: .defaults(items: model.itemCount), threads: 2)
    }

    /// The top `count` by a plain loop: every score a sum of products, ties to the lower index.
    func bruteForce(_ query: [Float], _ vectors: DenseMatrix, count: Int, accept: (Int) -> Bool) -> [Int] {
        var scored: [(Int, Float)] = []
        for item in 0..<vectors.rows where accept(item) {
            var score: Float = 0
            for j in 0..<vectors.columns { score += query[j] * vectors[item, j] }
            scored.append((item, score))
        }
        scored.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        return scored.prefix(count).map(\.0)
    }

    func testDefaultsReachThePromisedRecallAgainstBruteForce() throws {
        let model = Self.model, index = try build()
        var recall = 0.0
        let users = Array(stride(from: 0, to: model.userCount, by: 10))
        for user in users {
            let heard = Set(model.interactions.columns(ofRow: user).map(Int.init))
            let truth = bruteForce(model.factors.userFactors.rowArray(user), model.factors.itemFactors, count: 10) { !heard.contains($0) }
            let list = try XCTUnwrap(index.recommend(model, user: user, count: 10, seen: model.interactions))
            XCTAssertEqual(list.count, 10)
            XCTAssertTrue(list.allSatisfy { !heard.contains($0.index) }, "a seen item came back for user \(user)")
            recall += Double(Set(truth).intersection(list.map(\.index)).count) / 10
        }
        XCTAssertGreaterThanOrEqual(recall / Double(users.count), ApproximateIndex.requiredRecall)

        let unit = model.normalizedItemFactors, listeners = model.listenerCounts
        var similarRecall = 0.0
        let queries = index.similarMembers.enumerated().filter { $0.offset % 25 == 0 }.map { Int($0.element) }
        for item in queries {
            let truth = bruteForce(unit.rowArray(item), unit, count: 10) { $0 != item && listeners[$0] >= SimilarItems.defaultMinimumListeners }
            let list = try XCTUnwrap(index.similar(model, to: item, count: 10, minimumListeners: SimilarItems.defaultMinimumListeners))
            XCTAssertTrue(list.allSatisfy { $0.index != item && listeners[$0.index] >= SimilarItems.defaultMinimumListeners })
            similarRecall += Double(Set(truth).intersection(list.map(\.index)).count) / Double(max(1, truth.count))
        }
        XCTAssertGreaterThanOrEqual(similarRecall / Double(queries.count), ApproximateIndex.requiredRecall)
        // The recall the build measured and stored says the same.
        XCTAssertGreaterThanOrEqual(index.header.recall, ApproximateIndex.requiredRecall)
    }

    /// `recommend-all` searches fewer lists than a single query (`batchBreadth`), and its lists
    /// still reach the promised recall against brute force; the breadth the build chose is one
    /// whose sampled recall met the rule, and no fewer lists did.
    func testBatchBreadthKeepsThePromisedRecallAgainstBruteForce() throws {
        let model = ApproximateIndexTests.model
        let index = try build()
        let settings = index.header.settings
        let batchBreadth = settings.batchBreadth ?? settings.breadth
        XCTAssertLessThanOrEqual(batchBreadth, settings.breadth)
        let sample = index.evaluate(model, users: ApproximateIndex.buildSample, items: 0, seed: 1)
        let rule = max(ApproximateIndex.requiredRecall, index.header.recall - 0.01)
        if let chosen = settings.batchBreadth { XCTAssertGreaterThanOrEqual(try XCTUnwrap(sample.recallByBreadth[chosen]), rule) }
        for (breadth, recall) in sample.recallByBreadth where breadth < batchBreadth { XCTAssertLessThan(recall, rule, "\(breadth) lists") }
        let users = Array(stride(from: 0, to: model.userCount, by: 7))
        var recall = 0.0
        try index.recommendAll(model, count: 10, userList: users, seen: model.interactions) { user, list in
            let heard = Set(model.interactions.columns(ofRow: user).map(Int.init))
            let truth = bruteForce(model.factors.userFactors.rowArray(user), model.factors.itemFactors, count: 10) { !heard.contains($0) }
            XCTAssertEqual(list.count, 10)
            recall += Double(Set(truth).intersection(list.map(\.index)).count) / 10
        }
        XCTAssertGreaterThanOrEqual(recall / Double(users.count), ApproximateIndex.requiredRecall)
    }

    func testFiltersHoldAndListsAreNeverShortWhenCandidatesExist() throws {
        let model = Self.model, index = try build()
        let user = 7
        let exact = TopNRecommendation.recommend(model, user: user, count: 30, seen: model.interactions)
        // Leave out the exact path's 20 best: the index must go past them and still fill the list.
        let filter = CandidateFilter(excluded: Set(exact.prefix(20).map(\.index)))
        let list = try XCTUnwrap(index.recommend(model, user: user, count: 10, seen: model.interactions, filter: filter))
        XCTAssertEqual(list.count, 10)
        XCTAssertTrue(list.allSatisfy { filter.permits($0.index) })
        // An allow list of three items: the index either answers with exactly those it permits
        // or hands the query back; either way the answer the commands give equals the exact one.
        let allowed = CandidateFilter(allowed: Set([3, 500, 19_000].filter { $0 < model.itemCount }))
        let answered = index.recommend(model, user: user, count: 10, seen: nil, filter: allowed)
            ?? TopNRecommendation.recommend(model, user: user, count: 10, seen: nil, filter: allowed)
        XCTAssertEqual(answered.map(\.index), TopNRecommendation.recommend(model, user: user, count: 10, seen: nil, filter: allowed).map(\.index))
        // A lower minimum than the index holds is answered exactly (nil).
        XCTAssertNil(index.similar(model, to: Int(index.similarMembers[0]), count: 10, minimumListeners: 0))
        // recommend-all through the index: every list full and clear of seen items.
        var lists = 0
        try index.recommendAll(model, count: 10, userList: Array(0..<500), seen: model.interactions, threads: 2) { user, list in
            lists += 1
            XCTAssertEqual(list.count, 10)
            XCTAssertTrue(Set(list.map(\.index)).isDisjoint(with: model.interactions.columns(ofRow: user).map(Int.init)))
        }
        XCTAssertEqual(lists, 500)
    }

    func testFileRoundTripsAndRefusesDamageAndOtherModels() throws {
        let model = Self.model, index = try build(checksum: 0xABCDEF)
        let directory = try TestSupport.temporaryDirectory(self)
        let path = directory.appendingPathComponent("model.encore.index").path
        try ApproximateIndexFile.write(index, to: path)
        let read = try ApproximateIndexFile.read(from: path, for: model, modelChecksum: 0xABCDEF)
        XCTAssertEqual(read.header, index.header)
        XCTAssertEqual(read.recommend(model, user: 5, count: 10, seen: model.interactions)?.map(\.index),
                       index.recommend(model, user: 5, count: 10, seen: model.interactions)?.map(\.index))

        XCTAssertThrowsError(try ApproximateIndexFile.read(from: path, for: model, modelChecksum: 0xABCDEE)) { error in
            XCTAssertTrue("\(error)".contains("built from another model"), "\(error)")
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ApproximateIndexFile.read(from: path, for: model, modelChecksum: 0xABCDEF)) { error in
            XCTAssertTrue("\(error)".contains("checksum does not match"), "\(error)")
        }
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ApproximateIndexFile.read(from: path, for: model, modelChecksum: 0xABCDEF))
        try Data("not an index".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ApproximateIndexFile.read(from: path, for: model, modelChecksum: 0xABCDEF)) { error in
            XCTAssertTrue("\(error)".contains("signature"), "\(error)")
        }
    }

    func testServerAnswersFromTheIndexAndSaysSo() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let modelPath = directory.appendingPathComponent("model.encore").path
        try ModelFile.write(Self.model, to: modelPath)
        let (model, checksum) = try ModelFile.readWithChecksum(from: modelPath)
        try ApproximateIndexFile.write(try build(model, checksum: checksum), to: ApproximateIndex.path(forModel: modelPath))
        let router = APIRouter(models: try ModelHolder(path: modelPath, indexUse: .approximate), scoringThreads: 1)
        let user = model.userIDs.id(at: 3), item = model.itemIDs.id(at: Int(model.listenerCounts.firstIndex { $0 >= 20 }!))
        for (path, arguments) in [("/v1/users/\(user)/recommendations", [(name: "count", value: "10")]), ("/v1/items/\(item)/similar", []),
                                  ("/v1/radio", [(name: "seed", value: item), (name: "length", value: "5")])] {
            let response = router.handle(HTTPRequest(method: "GET", path: path, arguments: arguments))
            XCTAssertEqual(response.status, 200, "\(path): \(response.body)")
        }
        let metrics = router.handle(HTTPRequest(method: "GET", path: "/metrics", arguments: [])).body
        XCTAssertTrue(metrics.contains("encore_index_in_use 1"), metrics)
        XCTAssertTrue(metrics.contains("encore_answers_total{route=\"/v1/users/{id}/recommendations\",path=\"index\"} 1"), metrics)
        XCTAssertTrue(metrics.contains("encore_answers_total{route=\"/v1/items/{id}/similar\",path=\"index\"} 1"), metrics)
        XCTAssertTrue(metrics.contains("encore_answers_total{route=\"/v1/radio\",path=\"index\"} 1"), metrics)
        // --exact: the same routes, answered exactly, and said so.
        let exact = APIRouter(models: try ModelHolder(path: modelPath, indexUse: .exact), scoringThreads: 1)
        _ = exact.handle(HTTPRequest(method: "GET", path: "/v1/users/\(user)/recommendations", arguments: []))
        let exactMetrics = exact.handle(HTTPRequest(method: "GET", path: "/metrics", arguments: [])).body
        XCTAssertTrue(exactMetrics.contains("encore_index_in_use 0"), exactMetrics)
        XCTAssertTrue(exactMetrics.contains("encore_answers_total{route=\"/v1/users/{id}/recommendations\",path=\"exact\"} 1"), exactMetrics)
        // A model file changed after the index was built: --approximate refuses it, and the
        // automatic choice serves exactly with a note saying why.
        try ModelFile.write(try TrainedModel(configuration: model.configuration, userIDs: model.userIDs, itemIDs: model.itemIDs, itemNames: nil,
                                             factors: model.factors, interactions: model.interactions,
                                             summary: TrainingSummary(lossHistory: [], trainSeconds: 0, source: "changed", createdAt: "")), to: modelPath)
        XCTAssertThrowsError(try ModelHolder(path: modelPath, indexUse: .approximate)) { XCTAssertTrue("\($0)".contains("another model"), "\($0)") }
        let automatic = try ModelHolder(path: modelPath)
        XCTAssertNil(automatic.snapshot().index)
        XCTAssertTrue(automatic.snapshot().indexNote?.contains("another model") ?? false, automatic.snapshot().indexNote ?? "no note")
    }
}

/// What the build and the measurements do without the model's whole-catalogue copies.
final class ApproximateIndexMemoryTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(FAISSIndex.isAvailable, ApproximateIndexTests.skipReason)
    }

    /// The similar-items index holds each member's unit vector, normalized chunk by chunk at
    /// build time: bit for bit the row of the model's own unit-length copy.
    func testSimilarIndexHoldsTheExactPathsUnitVectors() throws {
        let model = ApproximateIndexTests.model
        let index = try ApproximateIndex.build(model, modelChecksum: 1, settings: .defaults(items: model.itemCount), threads: 2)
        let unit = model.normalizedItemFactors, k = unit.columns
        var seen = 0
        for list in 0..<(index.similarIndex.flatListCount ?? 0) {
            let (n, labels, vectors) = index.similarIndex.flatList(list)
            guard n > 0, let labels, let vectors else { continue }
            for entry in 0..<n {
                let item = Int(index.similarMembers[Int(labels[entry])])
                XCTAssertEqual(Array(UnsafeBufferPointer(start: vectors + entry * k, count: k)), unit.rowArray(item), "item \(item)")
                seen += 1
            }
        }
        XCTAssertEqual(seen, index.similarMembers.count)
    }

    /// The exact similar lists (cosine from the raw vectors and their lengths, no unit-length
    /// copy) are those of a brute-force scan of the unit-length vectors: the same items, the
    /// same cosines to rounding.
    func testExactSimilarFromRawVectorsMatchesUnitVectorScan() {
        let model = ApproximateIndexTests.model, listeners = model.listenerCounts
        let unit = model.normalizedItemFactors
        for item in stride(from: 0, to: model.itemCount, by: 499) where listeners[item] >= 5 {
            var reference = (0..<model.itemCount).filter { $0 != item && listeners[$0] >= 5 }.map { other -> ScoredItem in
                var cosine: Float = 0
                for j in 0..<unit.columns { cosine += unit[item, j] * unit[other, j] }
                return ScoredItem(index: other, score: cosine)
            }
            reference.sort { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
            reference = Array(reference.prefix(10))
            let measured = SimilarItems.similar(to: item, count: 10, in: model, minimumListeners: 5)
            XCTAssertEqual(measured.count, reference.count)
            for (a, b) in zip(measured, reference) { XCTAssertEqual(a.score, b.score, accuracy: 1e-5, "item \(item)") }
            XCTAssertGreaterThanOrEqual(Set(measured.map(\.index)).intersection(reference.map(\.index)).count, reference.count - 1, "item \(item)")
        }
    }
}

/// Lists held longest first let a scan stop early; the answers must be those of scanning every
/// list whole.
final class ApproximateIndexPruningTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(FAISSIndex.isAvailable, ApproximateIndexTests.skipReason)
    }

    func testStoppingEarlyInLongestFirstListsChangesNoAnswer() throws {
        let model = ApproximateIndexTests.model
        let index = try ApproximateIndex.build(model, modelChecksum: 1, settings: .defaults(items: model.itemCount), threads: 2)
        let lengths = try XCTUnwrap(index.recommendLengths, "the build orders the lists longest first")
        XCTAssertTrue(lengths.lengths.allSatisfy { zip($0, $0.dropFirst()).allSatisfy { $0 >= $1 * 0.99999 } })
        let whole = ApproximateIndex(header: index.header, recommendIndex: index.recommendIndex, similarIndex: index.similarIndex,
                                     similarMembers: index.similarMembers, recommendLengths: nil)
        for user in stride(from: 0, to: model.userCount, by: 7) {
            XCTAssertEqual(index.recommend(model, user: user, count: 10, seen: model.interactions)?.map(\.index),
                           whole.recommend(model, user: user, count: 10, seen: model.interactions)?.map(\.index), "user \(user)")
        }
        var pruned: [[Int]] = [], full: [[Int]] = []
        let users = Array(stride(from: 0, to: model.userCount, by: 3))
        try index.recommendAll(model, count: 10, userList: users, seen: model.interactions, threads: 2) { _, list in pruned.append(list.map(\.index)) }
        try whole.recommendAll(model, count: 10, userList: users, seen: model.interactions, threads: 2) { _, list in full.append(list.map(\.index)) }
        XCTAssertEqual(pruned, full)
    }
}
