import XCTest
@testable import Encore

/// Every metric against values worked out by hand.
final class MetricsTests: XCTestCase {
    func testTopKMetricsOnHandWorkedLists() {
        // Hits at positions 1 and 3 of 5, three relevant items, k = 5.
        let m = RankingMetrics(ranked: [7, 1, 8, 2, 3], relevant: [7, 8, 9], k: 5)
        XCTAssertEqual(m.precision, 2.0 / 5, accuracy: 1e-12)
        XCTAssertEqual(m.recall, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.averagePrecision, (1.0 / 1 + 2.0 / 3) / 3, accuracy: 1e-12)
        let dcg = 1 / log2(2.0) + 1 / log2(4.0), ideal = 1 / log2(2.0) + 1 / log2(3.0) + 1 / log2(4.0)
        XCTAssertEqual(m.ndcg, dcg / ideal, accuracy: 1e-12)
    }

    func testFewerThanKRecommendationsAndOneHeldOutItem() {
        // Two recommendations at k = 10; the single held-out item is second.
        let m = RankingMetrics(ranked: [4, 5], relevant: [5], k: 10)
        XCTAssertEqual(m.precision, 1.0 / 10, accuracy: 1e-12)
        XCTAssertEqual(m.recall, 1, accuracy: 1e-12)
        XCTAssertEqual(m.averagePrecision, 1.0 / 2, accuracy: 1e-12)
        XCTAssertEqual(m.ndcg, (1 / log2(3.0)) / 1, accuracy: 1e-12)
        let miss = RankingMetrics(ranked: [], relevant: [5], k: 10)
        XCTAssertEqual(miss, RankingMetrics(precision: 0, recall: 0, averagePrecision: 0, ndcg: 0))
        // More relevant items than k: AP divides by k.
        let many = RankingMetrics(ranked: [1, 2], relevant: [1, 2, 3, 4], k: 2)
        XCTAssertEqual(many.averagePrecision, 1, accuracy: 1e-12)
        XCTAssertEqual(many.ndcg, 1, accuracy: 1e-12)
    }

    func testAUCAndPercentileRankWithTies() {
        // Items 0…5; item 5 seen in training (excluded). Held out: 1 (score 0.8) and 3 (score 0.5).
        // Negatives: 0 (0.9), 2 (0.5), 4 (0.1).
        let scores: [Float] = [0.9, 0.8, 0.5, 0.5, 0.1, 5.0]
        var seen = [Bool](repeating: false, count: 6)
        seen[5] = true
        let metrics = scores.withUnsafeBufferPointer { FullRankingMetrics(scores: $0, seen: seen, heldOut: [(item: 1, weight: 2), (item: 3, weight: 1)]) }
        // Item 1 beats negatives 2 and 4 → 2/3; item 3 beats 4 and ties 2 → 1.5/3.
        XCTAssertEqual(metrics.auc, (2.0 / 3 + 1.5 / 3) / 2, accuracy: 1e-12)
        // Candidates 0…4 (5 items). Item 1: one above → 1/4. Item 3: 0, 1 above, tied with 2 → (2 + 0.5)/4.
        XCTAssertEqual(metrics.weightedPercentileSum, 2 * 0.25 + 1 * 2.5 / 4, accuracy: 1e-12)
        XCTAssertEqual(metrics.weightSum, 3)
    }

    func testRandomScorerHasAUCOneHalfAndPercentileRankOneHalf() throws {
        // A large synthetic case: random scores know nothing, so AUC and MPR come out near ½.
        var random = RandomSource(seed: 99)
        var aucSum = 0.0, percentile = 0.0, weight = 0.0
        let users = 400, items = 2_000
        for _ in 0..<users {
            let scores = (0..<items).map { _ in Float(random.nextUniform()) }
            var seen = [Bool](repeating: false, count: items)
            for _ in 0..<20 { seen[Int(random.nextUniform() * Double(items))] = true }
            let heldOut = (0..<10).map { _ in Int(random.nextUniform() * Double(items)) }.filter { !seen[$0] }
            let unique = Array(Set(heldOut)).map { (item: $0, weight: Float(1)) }
            let m = scores.withUnsafeBufferPointer { FullRankingMetrics(scores: $0, seen: seen, heldOut: unique) }
            aucSum += m.auc
            percentile += m.weightedPercentileSum
            weight += m.weightSum
        }
        XCTAssertEqual(aucSum / Double(users), 0.5, accuracy: 0.01)
        XCTAssertEqual(percentile / weight, 0.5, accuracy: 0.01)
    }

    func testEvaluatorAveragesOverUsersAndNeverCountsTrainingItems() throws {
        // Three users, five items; a fixed scorer that ranks items 4, 3, 2, 1, 0 for everyone.
        struct Fixed: Recommender {
            var userCount: Int { 3 }
            var itemCount: Int { 5 }
            func scoreItems(forUser user: Int, into scores: UnsafeMutableBufferPointer<Float>) { for i in 0..<5 { scores[i] = Float(i) } }
        }
        let train = SparseMatrix(rowCount: 3, columnCount: 5, rows: [0, 1, 2], columns: [4, 0, 0], values: [1, 1, 1])
        // User 0 trained on 4 (the top item): its list starts at 3. User 2 has no held-out items.
        let test = SparseMatrix(rowCount: 3, columnCount: 5, rows: [0, 1], columns: [3, 1], values: [1, 1])
        let result = try Evaluator(train: train, test: test, k: 2, threads: 2).evaluate(Fixed())
        XCTAssertEqual(result.users, 2)
        // User 0: list [3, 2], hit at 1 → AP 1, precision 1/2. User 1: list [4, 3], miss.
        XCTAssertEqual(result.map, 0.5, accuracy: 1e-12)
        XCTAssertEqual(result.precision, 0.25, accuracy: 1e-12)
        XCTAssertEqual(result.recall, 0.5, accuracy: 1e-12)
        // Lists {3, 2} and {4, 3}: items 2, 3, 4 of 5 appear.
        XCTAssertEqual(result.coverage, 3.0 / 5, accuracy: 1e-12)
    }
}
