import Foundation
import XCTest
@testable import Encore

/// The automatic search: the space it draws from, successive halving's rungs, and the winner
/// scored once on the test part.
final class AutomaticTunerTests: XCTestCase {
    func testDrawsStayInsideTheSpaceAndScaleLambdaByTheTypicalRow() {
        let space = SearchSpace.standard(users: 4, items: 25, weights: [Float](repeating: 3, count: 40))
        // 40 entries over √(4 × 25) = 10: a typical row has 4 entries; the mean weight is 3.
        XCTAssertEqual(space.typicalRowLength, 4, accuracy: 1e-12)
        XCTAssertEqual(space.meanWeight, 3, accuracy: 1e-12)
        var random = RandomSource(seed: 1)
        var sawZeroWeight = false, sawWeight = false, confidences = Set<ConfidenceFunction>()
        for _ in 0..<300 {
            let c = space.draw(base: ALSConfiguration(), random: &random)
            XCTAssertNoThrow(try c.validate())
            XCTAssertTrue(space.factors.contains(c.factors))
            let nu = Double(c.regularizationExponent!)
            XCTAssertTrue(space.exponent.contains(nu))
            let ridge = Double(c.regularization) * pow(4, nu)
            XCTAssertTrue(ridge >= 0.3 * 0.999 && ridge <= 300 * 1.001, "typical ridge \(ridge)")
            let alpha = Double(c.alpha) * (c.confidence == .linear ? 3 : 1)
            XCTAssertTrue(alpha >= 0.05 * 0.999 && alpha <= 30 * 1.001, "α \(c.alpha) \(c.confidence)")
            if c.unobservedWeight == 0 { sawZeroWeight = true } else {
                sawWeight = true
                XCTAssertTrue(space.unobservedWeight.contains(Double(c.unobservedWeight) * (1 + 1e-6)) || space.unobservedWeight.contains(Double(c.unobservedWeight)))
            }
            confidences.insert(c.confidence)
        }
        XCTAssertTrue(sawZeroWeight && sawWeight)
        XCTAssertEqual(confidences, [.log, .linear])
    }

    func testSuccessiveHalvingKeepsTheBestThirdOfEachRungAndScoresTheWinnerOnTheTestPart() throws {
        let data = try RecommenderConformance.trainingData()
        let split = try TrainTestSplit(data, strategy: .random, testFraction: 0.2, seed: 3)
        var base = ALSConfiguration()
        base.iterations = 10
        var space = SearchSpace.standard(users: 10, items: 10, weights: data.weights)
        space.factors = [4, 8]
        let tuner = AutomaticTuner(base: base, space: space, strategy: .halving, budget: nil, maximumSettings: 9, metric: .ndcg, k: 3,
                                   splitStrategy: .random, validationFraction: 0.2, threads: 2)
        var seen: [TuningProgress] = []
        let report = try tuner.run(split) { seen.append($0) }
        // 9 settings at 3 iterations, the best 3 at 8, the best 1 at 10.
        XCTAssertEqual(report.trials.map(\.rung), [Int](repeating: 0, count: 9) + [1, 1, 1, 2])
        XCTAssertEqual(report.trials.map(\.configuration.iterations), [Int](repeating: 3, count: 9) + [8, 8, 8, 10])
        XCTAssertEqual(seen.map(\.number), Array(1...13))
        func settings(_ c: ALSConfiguration) -> [Float] { [Float(c.factors), c.regularization, c.alpha, c.unobservedWeight] }
        let first = report.trials.prefix(9).sorted { $0.validation.ndcg > $1.validation.ndcg }
        XCTAssertEqual(report.trials[9..<12].map { settings($0.configuration) }, first.prefix(3).map { settings($0.configuration) })
        let second = report.trials[9..<12].sorted { $0.validation.ndcg > $1.validation.ndcg }
        XCTAssertEqual(settings(report.trials[12].configuration), settings(second[0].configuration))
        XCTAssertEqual(settings(report.best.configuration), settings(report.trials[12].configuration))
        // The test score is the winner's, retrained at the full count on the whole training part.
        let evaluator = try Evaluator(split: split, k: 3, threads: 2)
        let retrained = try ImplicitALS(configuration: report.best.configuration, threads: 2).fit(evaluator.train)
        XCTAssertEqual(report.best.configuration.iterations, 10)
        XCTAssertEqual(report.test.ndcg, evaluator.evaluate(retrained).ndcg, accuracy: 1e-12)
    }

    func testRandomSearchTrainsEverySettingAtTheFullCount() throws {
        let data = try RecommenderConformance.trainingData()
        let split = try TrainTestSplit(data, strategy: .random, testFraction: 0.2, seed: 3)
        var space = SearchSpace.standard(users: 10, items: 10, weights: data.weights)
        space.factors = [4]
        let tuner = AutomaticTuner(base: ALSConfiguration(), space: space, strategy: .random, budget: nil, maximumSettings: 4, metric: .map, k: 3,
                                   splitStrategy: .random, validationFraction: 0.2, threads: 2)
        let report = try tuner.run(split)
        XCTAssertEqual(report.trials.map(\.configuration.iterations), [15, 15, 15, 15])
        XCTAssertEqual(report.best.validation.map, report.trials.map(\.validation.map).max())
    }
}
