import XCTest
@testable import Encore

/// The model flags' defaults through the binary: Encore's own, `--spark-defaults`, and what the
/// default model recommends on the real Last.fm 2K data.
final class DefaultsCLITests: XCTestCase {
    /// The configuration `encore train` stored in the model it wrote for `flags`.
    func trainedConfiguration(_ flags: [String], in directory: URL) throws -> ALSConfiguration {
        var rows = ""
        for u in 0..<8 { for i in 0..<6 where (u + i) % 3 != 0 { rows += "u\(u)\ta\(i)\t\(1 + u * i)\n" } }
        let data = try TestSupport.write(rows, to: "plays.tsv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        let run = try TestSupport.encore(["train", data, "--output", model, "--quiet"] + flags)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try ModelFile.read(from: model).configuration
    }

    func testSparkDefaultsFlagGivesSparksValuesAndExplicitFlagsOverrideThem() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        XCTAssertEqual(try trainedConfiguration([], in: directory), ALSConfiguration())

        let spark = try trainedConfiguration(["--spark-defaults"], in: directory)
        XCTAssertEqual(spark, .sparkDefaults)
        XCTAssertEqual(spark.factors, 10)
        XCTAssertEqual(spark.iterations, 10)
        XCTAssertEqual(spark.regularization, 0.1)
        XCTAssertEqual(spark.alpha, 1)
        XCTAssertEqual(spark.confidence, .linear)
        XCTAssertEqual(spark.regularizationScaling, .spark)
        XCTAssertEqual(spark.solver, .cholesky)

        // The default solver is CG, but --nonnegative alone is not an error: the non-negative
        // solve is exact, so it brings Cholesky with it.
        let nonnegative = try trainedConfiguration(["--nonnegative"], in: directory)
        XCTAssertTrue(nonnegative.nonnegative)
        XCTAssertEqual(nonnegative.solver, .cholesky)

        // Flags given beside --spark-defaults win, wherever they stand.
        let mixed = try trainedConfiguration(["--factors", "7", "--spark-defaults", "--solver", "cg", "--alpha", "2.5"], in: directory)
        var expected = ALSConfiguration.sparkDefaults
        expected.factors = 7
        expected.solver = .cg
        expected.alpha = 2.5
        XCTAssertEqual(mixed, expected)

        for command in ["train", "evaluate", "tune"] {
            let help = try TestSupport.encore([command, "--help"])
            XCTAssertTrue(help.stdout.contains("--spark-defaults"), "\(command) --help: \(help.stdout)")
        }
        let data = directory.appendingPathComponent("plays.tsv").path
        let evaluate = try TestSupport.encore(["evaluate", data, "--spark-defaults", "--json", "--test-fraction", "0.3"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        // tune searches around the preset it is given, and its train line spells the preset out.
        let tune = try TestSupport.encore(["tune", data, "--spark-defaults", "--grid-factors", "3", "--test-fraction", "0.3"])
        XCTAssertEqual(tune.status, 0, tune.stderr)
        XCTAssertTrue(tune.stdout.contains("--iterations 10 --regularization 0.1 --alpha 1.0 --confidence linear --regularization-scaling spark --solver cholesky"), tune.stdout)
    }

    /// The README's fold-in example on a model trained with no model flags.
    func testDefaultModelOnLastfmRecommendsMetalToAMetalFan() throws {
        guard let data = TestSupport.lastfm2k else { throw XCTSkip("../shared/data/lastfm-2k is not beside the checkout") }
        let directory = try TestSupport.temporaryDirectory(self)
        let model = directory.appendingPathComponent("lastfm.model").path
        let train = try TestSupport.encore(["train", data, "--output", model, "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let run = try TestSupport.encore(["recommend", model, "--plays", "Metallica:300,Slayer:40", "--count", "5", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let names = run.stdout.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["name"] as? String }
        XCTAssertEqual(names.count, 5, run.stdout)
        // Written by hand: metal bands (thrash, heavy, nu, death, power, industrial), not hard rock or grunge.
        let metal: Set<String> = [
            "Iron Maiden", "Megadeth", "Black Sabbath", "Judas Priest", "Pantera", "Motörhead", "Anthrax", "Slipknot",
            "System of a Down", "Sepultura", "Testament", "Exodus", "Kreator", "Sodom", "Overkill", "Dio", "Ozzy Osbourne",
            "Children of Bodom", "In Flames", "Opeth", "Dream Theater", "Korn", "Disturbed", "Machine Head", "Lamb of God",
            "Trivium", "Avenged Sevenfold", "Manowar", "Nightwish", "Helloween", "Death", "Cannibal Corpse", "Arch Enemy",
            "Amon Amarth", "Mastodon", "Killswitch Engage", "Bullet for My Valentine", "Rammstein", "Dimmu Borgir",
            "Cradle of Filth", "Behemoth", "Gojira", "Stone Sour", "Slayer", "Metallica",
        ]
        let hits = names.filter(metal.contains)
        XCTAssertGreaterThanOrEqual(hits.count, 3, "a metal fan's top 5: \(names)")
    }
}
