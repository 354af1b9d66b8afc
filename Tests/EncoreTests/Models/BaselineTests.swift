import XCTest
@testable import Encore

/// The baselines: the shared checks where they apply, and their scores by hand.
final class BaselineTests: XCTestCase {
    func testItemKNNPassesTheSharedChecksWithEveryWeighting() throws {
        let data = try RecommenderConformance.trainingData()
        for weighting in NeighbourWeighting.allCases {
            try RecommenderConformance.check(ItemKNNRecommender(data.userItemMatrix(), weighting: weighting, neighbours: 20, threads: 2), data: data)
        }
    }

    func testItemKNNScoresAreSumsOfCosinesComputedByHand() throws {
        // Users × items (binary): u0 {0, 1}, u1 {0, 1, 2}, u2 {2}.
        let matrix = SparseMatrix(rowCount: 3, columnCount: 3, rows: [0, 0, 1, 1, 1, 2], columns: [0, 1, 0, 1, 2, 2], values: [5, 1, 2, 2, 3, 4])
        let knn = ItemKNNRecommender(matrix, weighting: .none, neighbours: 10, threads: 1)
        // Item columns: 0 = (1,1,0), 1 = (1,1,0), 2 = (0,1,1). cos(0,1) = 1, cos(0,2) = cos(1,2) = 1/2.
        var scores = [Float](repeating: 0, count: 3)
        scores.withUnsafeMutableBufferPointer { knn.scoreItems(forUser: 2, into: $0) }
        XCTAssertEqual(scores[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(scores[1], 0.5, accuracy: 1e-6)
        XCTAssertEqual(scores[2], 0, accuracy: 1e-6)
        scores.withUnsafeMutableBufferPointer { knn.scoreItems(forUser: 0, into: $0) }
        XCTAssertEqual(scores[2], 1.0, accuracy: 1e-6)
    }

    func testPopularityRanksByListenerCount() throws {
        let matrix = SparseMatrix(rowCount: 3, columnCount: 3, rows: [0, 1, 2, 0], columns: [2, 2, 2, 1], values: [1, 1, 100, 50])
        let popularity = PopularityRecommender(matrix)
        XCTAssertEqual(popularity.listeners, [0, 1, 3])
        XCTAssertEqual(TopNRecommendation.recommend(popularity, user: 1, count: 3, seen: matrix).map(\.index), [1, 0])
    }
}
