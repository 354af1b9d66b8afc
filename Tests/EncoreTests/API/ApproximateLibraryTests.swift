import XCTest
@testable import Encore

/// The library's approximate answers (`EncoreModel.openingIndex`, `Retrieval`): they agree with
/// the exact lists to the recall the defaults promise, they come from the index when asked,
/// and everything that cannot be answered from an index says why.
final class ApproximateLibraryTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(FAISSIndex.isAvailable, ApproximateIndexTests.skipReason)
    }

    /// The test catalogue of `ApproximateIndexTests` (3000 listeners, 20000 artists), saved,
    /// loaded back and indexed through the public API.
    func indexedModel() throws -> (exact: EncoreModel, indexed: EncoreModel, file: URL) {
        let file = try TestSupport.temporaryDirectory(self).appendingPathComponent("catalogue.encore")
        try EncoreModel(ApproximateIndexTests.model).save(to: file)
        let loaded = try EncoreModel.load(from: file)
        _ = try loaded.buildIndex(threads: 2)
        return (loaded, try loaded.openingIndex(), file)
    }

    func testApproximateAnswersAgreeWithExactToThePromisedRecall() throws {
        let (exact, indexed, _) = try indexedModel()
        let model = exact.model
        let summary = try XCTUnwrap(indexed.approximateIndex)
        XCTAssertTrue(summary.kind.hasPrefix("IVF") && summary.kind.hasSuffix(",Flat"), summary.kind)
        // 20,000 items is below the size where the index pays: automatic stays exact.
        XCTAssertFalse(summary.answersAutomatically)

        var recall = 0.0, users = 0
        for user in stride(from: 0, to: model.userCount, by: 15).map({ model.userIDs.id(at: $0) }) {
            let truth = try exact.recommendations(for: user, count: 10)
            let found = try indexed.recommendations(for: user, count: 10, retrieval: .approximate)
            XCTAssertEqual(found.count, truth.count)
            XCTAssertEqual(try indexed.recommendations(for: user, count: 10), truth, "automatic must be exact on a small catalogue")
            recall += Double(Set(truth.map(\.itemID)).intersection(found.map(\.itemID)).count) / Double(max(1, truth.count))
            users += 1
        }
        XCTAssertGreaterThanOrEqual(recall / Double(users), ApproximateIndex.requiredRecall)

        var similarRecall = 0.0, items = 0
        // Every 25th item with enough listeners to be listed (the index's members).
        let members = try XCTUnwrap(indexed.index).similarMembers
        for member in stride(from: 0, to: members.count, by: 25) {
            let id = model.itemIDs.id(at: Int(members[member]))
            let truth = try exact.similarItems(to: id, count: 10)
            let found = try indexed.similarItems(to: id, count: 10, retrieval: .approximate)
            XCTAssertEqual(found.count, truth.count)
            similarRecall += Double(Set(truth.map(\.itemID)).intersection(found.map(\.itemID)).count) / Double(max(1, truth.count))
            items += 1
        }
        XCTAssertGreaterThan(items, 20)
        XCTAssertGreaterThanOrEqual(similarRecall / Double(items), ApproximateIndex.requiredRecall)
    }

    func testApproximateComesFromTheIndexAndKeepsTheFilters() throws {
        let (_, indexed, _) = try indexedModel()
        let model = indexed.model, index = try XCTUnwrap(indexed.index)
        let user = model.userIDs.id(at: 11)
        // The same list the index gives, item for item: the query went to the index.
        let direct = try XCTUnwrap(index.recommend(model, user: 11, count: 10, seen: model.interactions))
        XCTAssertEqual(try indexed.recommendations(for: user, count: 10, retrieval: .approximate).map(\.itemID), direct.map { model.itemIDs.id(at: $0.index) })
        // Excluded items stay out and the list stays full.
        let first = try indexed.recommendations(for: user, count: 10, retrieval: .approximate)
        let excluded = first.prefix(5).map(\.itemID)
        let filtered = try indexed.recommendations(for: user, count: 10, excluding: excluded, retrieval: .approximate)
        XCTAssertEqual(filtered.count, 10)
        XCTAssertTrue(Set(filtered.map(\.itemID)).isDisjoint(with: excluded))
        // A minimum below the index's is answered exactly: the exact list, not a short one.
        let item = model.itemIDs.id(at: Int(index.similarMembers[3]))
        XCTAssertEqual(try indexed.similarItems(to: item, count: 10, minimumListeners: 0, retrieval: .approximate),
                       try indexed.similarItems(to: item, count: 10, minimumListeners: 0, retrieval: .exact))
    }

    func testWhatCannotBeAnsweredFromAnIndexSaysWhy() throws {
        let (exact, _, file) = try indexedModel()
        let user = exact.userIDs[0]
        XCTAssertThrowsError(try exact.recommendations(for: user, retrieval: .approximate)) { XCTAssertTrue("\($0)".contains("no approximate index is open"), "\($0)") }
        XCTAssertThrowsError(try EncoreModel(ApproximateIndexTests.model).openingIndex()) { XCTAssertTrue("\($0)".contains("belongs to a model file"), "\($0)") }
        // The model saved again (another checksum) no longer owns the index beside it.
        try EncoreModel(ApproximateIndexTests.model.withSummary(source: "retrained")).save(to: file)
        XCTAssertThrowsError(try EncoreModel.load(from: file).openingIndex()) { XCTAssertTrue("\($0)".contains("another model"), "\($0)") }
        let missing = file.deletingLastPathComponent().appendingPathComponent("none.index")
        XCTAssertThrowsError(try EncoreModel.load(from: file).openingIndex(at: missing)) { XCTAssertTrue("\($0)".contains("no index"), "\($0)") }
    }
}

private extension TrainedModel {
    /// The same factors with another summary: a different model file.
    func withSummary(source: String) throws -> TrainedModel {
        try TrainedModel(configuration: configuration, userIDs: userIDs, itemIDs: itemIDs, itemNames: nil, factors: factors,
                         interactions: interactions, summary: TrainingSummary(lossHistory: [], trainSeconds: 0, source: source, createdAt: ""))
    }
}
