import XCTest
@testable import Encore

/// Implicit ALS through the shared model checks, with both solvers.
final class ImplicitALSConformanceTests: XCTestCase {
    func testBothSolversPassTheSharedChecksAndSurviveASaveLoadRoundTrip() throws {
        let data = try RecommenderConformance.trainingData()
        for solver in ALSSolverKind.allCases {
            var configuration = ALSConfiguration()
            configuration.solver = solver
            configuration.factors = 4
            configuration.iterations = 15
            let model = try TrainedModel.train(data, configuration: configuration, threads: 2)
            try RecommenderConformance.check(model, data: data)
            try RecommenderConformance.checkBatchEqualsSingle(model)

            let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("m.encore").path
            try ModelFile.write(model, to: path)
            let loaded = try ModelFile.read(from: path)
            try RecommenderConformance.check(loaded, data: data)
            for user in 0..<model.userCount {
                XCTAssertEqual(TopNRecommendation.recommend(loaded, user: user, count: 5, seen: loaded.interactions),
                               TopNRecommendation.recommend(model, user: user, count: 5, seen: model.interactions))
            }
        }
    }
}
