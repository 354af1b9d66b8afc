import XCTest
@testable import Encore

/// The default configuration against popularity and against Spark's defaults, and the Spark preset.
final class DefaultConfigurationTests: XCTestCase {
    func testSparkPresetHoldsSparksDefaults() {
        // pyspark.ml.recommendation.ALS: rank=10, maxIter=10, regParam=0.1, alpha=1.0,
        // nonnegative=False; implicit confidence 1 + α·|r|, λ scaled by each row's count, an exact solve.
        let spark = ALSConfiguration.sparkDefaults
        XCTAssertEqual(spark.factors, 10)
        XCTAssertEqual(spark.iterations, 10)
        XCTAssertEqual(spark.regularization, 0.1)
        XCTAssertEqual(spark.alpha, 1.0)
        XCTAssertEqual(spark.confidence, .linear)
        XCTAssertEqual(spark.regularizationScaling, .spark)
        XCTAssertEqual(spark.solver, .cholesky)
        XCTAssertFalse(spark.nonnegative)
        XCTAssertEqual(spark.seed, ALSConfiguration().seed)
        XCTAssertNotEqual(spark, ALSConfiguration(), "the defaults are no longer Spark's")
    }

    /// A small play log of `SyntheticPlays`' shape (power-law popularity, listeners drawn from 6
    /// tastes) whose Pareto play counts, which say nothing about taste, are scaled to the hundreds
    /// an artist's total has in Last.fm's logs (median 260 plays in Last.fm 2K).
    static func fixture() throws -> Interactions {
        var generator = try SyntheticPlays(users: 1000, items: 300, meanPerUser: 20, seed: 5)
        generator.tastes = 6
        generator.tasteShare = 0.8
        return try Interactions(triples: generator.rows().map { ("u\($0.user)", "i\($0.item)", Float($0.plays) * 100) })
    }

    /// MAP@10 of ALS with `configuration` and of popularity, averaged over `seeds` random 80/20 splits.
    static func meanMAP(_ data: Interactions, _ configuration: ALSConfiguration, seeds: [UInt64]) throws -> (als: Double, popularity: Double) {
        var als = 0.0, popularity = 0.0
        for seed in seeds {
            let evaluator = try Evaluator(split: TrainTestSplit(data, strategy: .random, testFraction: 0.2, seed: seed), k: 10, threads: 2)
            var c = configuration
            c.seed = seed
            als += evaluator.evaluate(try ImplicitALS(configuration: c, threads: 2).fit(evaluator.train)).map
            popularity += evaluator.evaluate(PopularityRecommender(evaluator.train)).map
        }
        return (als / Double(seeds.count), popularity / Double(seeds.count))
    }

    func testDefaultsBeatPopularityWhereSparksDefaultsDoNot() throws {
        let data = try Self.fixture()
        let seeds: [UInt64] = [1]
        let ours = try Self.meanMAP(data, ALSConfiguration(), seeds: seeds)
        let spark = try Self.meanMAP(data, .sparkDefaults, seeds: seeds)
        XCTAssertEqual(ours.popularity, spark.popularity)
        XCTAssertGreaterThan(ours.als, ours.popularity * 1.2, "default ALS \(ours.als) against popularity \(ours.popularity)")
        XCTAssertLessThan(spark.als, spark.popularity, "Spark's defaults \(spark.als) against popularity \(spark.popularity): the fixture no longer tells the two apart")
    }
}
