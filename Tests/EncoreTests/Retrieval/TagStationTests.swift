import XCTest
@testable import Encore

/// Tag stations, tag filters and shared-tag reasons on a model whose vectors are set by hand.
final class TagStationTests: XCTestCase {
    /// Eight artists in two dimensions: 0–3 point along x (0 and 1 tagged shoegaze, 1 and 2
    /// dream pop, 3 untagged), 4–7 along y (4, 5 and 6 tagged metal, 7 untagged). Every artist
    /// has one listener per user; user 0 plays 0 and 1, user 1 plays 4.
    static func makeModel() throws -> TrainedModel {
        let items = DenseMatrix(rows: 8, columns: 2, values: [1, 0, 0.96, 0.28, 0.9, 0.44, 0.8, 0.6, 0, 1, 0.28, 0.96, 0.44, 0.9, 0.6, 0.8])
        let users = DenseMatrix(rows: 2, columns: 2, values: [1, 0.1, 0.1, 1])
        let interactions = SparseMatrix(rowCount: 2, columnCount: 8, rows: [0, 0, 1], columns: [0, 1, 4], values: [5, 3, 2])
        let rows: [UInt32] = [0, 1, 1, 2, 4, 5, 6], columns: [UInt32] = [0, 0, 1, 1, 2, 2, 2]
        let tags = try ItemTags(tagNames: ["shoegaze", "dream pop", "metal"], matrix: SparseMatrix(
            rowCount: 8, columnCount: 3, rows: rows, columns: columns, values: [4, 2, 3, 1, 5, 5, 2]))
        var configuration = ALSConfiguration()
        configuration.factors = 2
        return try TrainedModel(
            configuration: configuration, userIDs: try IDIndex(ids: ["u0", "u1"]), itemIDs: try IDIndex(ids: (0..<8).map { "a\($0)" }),
            itemNames: (0..<8).map { "Artist \($0)" }, factors: FactorModel(userFactors: users, itemFactors: items), interactions: interactions,
            summary: TrainingSummary(lossHistory: [], trainSeconds: 0, source: "by hand", createdAt: ""), itemTags: tags
        )
    }

    func options(length: Int) -> RadioOptions {
        var options = RadioOptions()
        options.length = length
        options.minimumListeners = 0
        return options
    }

    func testStationPlaysTheTagsArtistsFirstThenTheirNeighboursWithoutRepeats() throws {
        let model = try Self.makeModel()
        let shoegaze = try model.tagIndices(["Shoegaze"])
        let station = try TagRadio.station(tags: shoegaze, options: options(length: 4), in: model)
        XCTAssertEqual(Set(station.prefix(2).map(\.item)), [0, 1], "the tagged artists open the station")
        XCTAssertEqual(Set(station.map(\.item)).count, 4, "no artist repeats")
        XCTAssertEqual(Set(station.dropFirst(2).map(\.item)), [2, 3], "then the nearest untagged artists, not the metal ones")
        XCTAssertEqual(station.first { $0.item == 0 }?.reason, "tagged shoegaze")
        XCTAssertEqual(station.first { $0.item == 3 }?.reason, "near the shoegaze artists")
    }

    func testSeveralTagsCoverEachTagsArtists() throws {
        let model = try Self.makeModel()
        let station = try TagRadio.station(tags: try model.tagIndices(["shoegaze", "metal"]), options: options(length: 5), in: model)
        let picked = Set(station.map(\.item))
        XCTAssertTrue(picked.isSuperset(of: [0, 1, 4, 5, 6]), "\(station.map(\.item))")
    }

    func testListenerReasonNamesANearPlayedArtistAndTheirSharedTags() throws {
        let model = try Self.makeModel()
        let station = try TagRadio.station(tags: try model.tagIndices(["dream pop"]), user: 0, options: options(length: 2), in: model)
        let pick = try XCTUnwrap(station.first { $0.item == 2 })
        XCTAssertEqual(pick.reason, "tagged dream pop; like Artist 1, which you play (cosine 0.99) — both tagged dream pop")
    }

    func testUnknownTagListsTheClosestAndAModelWithoutTagsSaysSo() throws {
        let model = try Self.makeModel()
        XCTAssertThrowsError(try model.tagIndices(["shoegazer"])) { XCTAssertTrue("\($0)".hasPrefix("no tag 'shoegazer'; closest: shoegaze"), "\($0)") }
        let untagged = try TrainedModel(
            configuration: model.configuration, userIDs: model.userIDs, itemIDs: model.itemIDs, itemNames: nil, factors: model.factors,
            interactions: model.interactions, summary: model.summary
        )
        XCTAssertThrowsError(try TagRadio.station(tags: [0], in: untagged)) { XCTAssertTrue("\($0)".contains("the model has no tags")) }
    }

    func testTagFilterKeepsOnlyArtistsWithEveryTag() throws {
        let model = try Self.makeModel()
        XCTAssertEqual(try CandidateFilter.everything.keepingOnly(tagged: [0], in: model).allowed, [0, 1])
        XCTAssertEqual(try CandidateFilter.everything.keepingOnly(tagged: [0, 1], in: model).allowed, [1])
        XCTAssertEqual(try CandidateFilter(allowed: [1, 2, 3]).keepingOnly(tagged: [1], in: model).allowed, [1, 2])
        let list = TopNRecommendation.recommend(model, user: 1, count: 8, seen: model.interactions,
                                                filter: try CandidateFilter.everything.keepingOnly(tagged: [2], in: model))
        XCTAssertEqual(Set(list.map(\.index)), [5, 6], "metal artists user 1 has not played")
    }

    func testSharedTagsAndTheBecauseLine() throws {
        let model = try Self.makeModel()
        let tags = try XCTUnwrap(model.itemTags)
        XCTAssertEqual(tags.shared(1, 0), ["shoegaze"])
        XCTAssertEqual(tags.shared(1, 2), ["dream pop"])
        XCTAssertEqual(tags.shared(0, 4), [])
        XCTAssertEqual(TagWords.bothTagged(2, 1, in: model), " — both tagged dream pop")
        let explanation = try ScoreExplanation(user: 0, item: 2, in: model)
        let because = try XCTUnwrap(TagWords.because(2, explanation: explanation, in: model))
        XCTAssertEqual(because, "because you play Artist 1 — both tagged dream pop")
        XCTAssertEqual(TagWords.sharedTags(of: 2, with: explanation, in: model).count, explanation.contributions.count)
    }
}
