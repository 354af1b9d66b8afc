import XCTest
@testable import Encore

/// The checks every model runs through, on a fixture whose answer is known by construction: a
/// checkerboard where even users play even items and odd users odd items, with one pair per
/// parity held out of training. The held-out item must come first for its user, single and
/// batch recommendation must agree, and no list may contain a training item.
enum RecommenderConformance {
    static let users = 12
    static let items = 10
    /// The held-out (user, item) pairs: one even, one odd.
    static let heldOut: [(user: Int, item: Int)] = [(user: 4, item: 6), (user: 7, item: 3)]

    /// The training data: every same-parity pair except the held-out ones, weights 1…3.
    static func trainingData() throws -> Interactions {
        var triples: [(user: String, item: String, weight: Float)] = []
        for u in 0..<users {
            for i in 0..<items where u % 2 == i % 2 && !heldOut.contains(where: { $0.user == u && $0.item == i }) {
                triples.append((user: "u\(u)", item: "i\(i)", weight: Float(1 + (u + i) % 3)))
            }
        }
        return try Interactions(triples: triples)
    }

    /// Runs every check on `recommender`, trained on `trainingData()` with the same ID numbering.
    static func check(_ recommender: Recommender, data: Interactions, file: StaticString = #filePath, line: UInt = #line) throws {
        let seen = data.userItemMatrix()
        XCTAssertEqual(recommender.userCount, users, file: file, line: line)
        XCTAssertEqual(recommender.itemCount, items, file: file, line: line)
        for pair in heldOut {
            let user = data.userIDs.index(of: "u\(pair.user)")!
            let list = TopNRecommendation.recommend(recommender, user: user, count: 3, seen: seen)
            XCTAssertEqual(list.first.map { data.itemIDs.id(at: $0.index) }, "i\(pair.item)", "held-out item must rank first for u\(pair.user)", file: file, line: line)
        }
        for user in 0..<users {
            let list = TopNRecommendation.recommend(recommender, user: user, count: items, seen: seen)
            let trained = Set(seen.columns(ofRow: user).map(Int.init))
            XCTAssertTrue(list.allSatisfy { !trained.contains($0.index) }, "a training item was recommended", file: file, line: line)
            XCTAssertEqual(list.count, items - trained.count, file: file, line: line)
        }
    }

    /// For factor models: batch recommendation equals one-at-a-time recommendation.
    static func checkBatchEqualsSingle(_ model: TrainedModel, file: StaticString = #filePath, line: UInt = #line) throws {
        var batch: [Int: [ScoredItem]] = [:]
        try BatchRecommender(users: model.factors.userFactors, items: model.factors.itemFactors, seen: model.interactions, threads: 2)
            .recommend(count: 4) { user, list in batch[user] = list }
        XCTAssertEqual(batch.count, model.userCount, file: file, line: line)
        for user in 0..<model.userCount {
            let single = TopNRecommendation.recommend(model, user: user, count: 4, seen: model.interactions)
            // GEMM and GEMV round differently, so items whose scores tie to 1e-4 may swap places;
            // the lists must be equally good position by position and hold the same items.
            XCTAssertEqual(batch[user]!.count, single.count, file: file, line: line)
            for (a, b) in zip(batch[user]!, single) {
                XCTAssertEqual(a.score, b.score, accuracy: 1e-4, "user \(user)", file: file, line: line)
                XCTAssertEqual(model.factors.score(user: user, item: a.index), b.score, accuracy: 1e-4, "user \(user)", file: file, line: line)
            }
        }
    }
}
