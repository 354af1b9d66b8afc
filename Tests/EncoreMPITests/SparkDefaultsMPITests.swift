import Encore
import Foundation
import XCTest

/// `encore-mpi train` takes `--spark-defaults` as `encore train` does (they share the model flags).
final class SparkDefaultsMPITests: XCTestCase {
    func testSparkDefaultsGivesSparksConfigurationOnTwoProcesses() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-mpi-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        var rows: [String] = []
        for user in 0..<20 { for item in 0..<12 where (user + item) % 3 == 0 { rows.append("u\(user)\ta\(item)\t\(1 + user * item)") } }
        let data = directory.appendingPathComponent("plays.tsv").path
        try Data(rows.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: data))

        let spark = directory.appendingPathComponent("spark.model").path
        let run = try MPISupport.mpi(2, ["train", data, "--output", spark, "--spark-defaults", "--iterations", "3", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        var expected = ALSConfiguration.sparkDefaults
        expected.iterations = 3
        XCTAssertEqual(try ModelFile.read(from: spark).configuration, expected)

        let ours = directory.appendingPathComponent("defaults.model").path
        let plain = try MPISupport.mpi(2, ["train", data, "--output", ours, "--factors", "4", "--quiet"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        var defaults = ALSConfiguration()
        defaults.factors = 4
        XCTAssertEqual(try ModelFile.read(from: ours).configuration, defaults)

        // Rendle's ν and the initial scale train; α₀ and the subspace solver are refused, saying so.
        let rendle = try MPISupport.mpi(2, ["train", data, "--output", ours, "--factors", "4", "--regularization-exponent", "0.5",
                                            "--init-scale", "0.5", "--quiet"])
        XCTAssertEqual(rendle.status, 0, rendle.stderr)
        XCTAssertEqual(try ModelFile.read(from: ours).configuration.regularizationExponent, 0.5)
        for (flags, message) in [(["--unobserved-weight", "0.1"], "encore-mpi does not support --unobserved-weight (got 0.1)"),
                                 (["--solver", "subspace"], "encore-mpi does not support --solver subspace")] {
            let refused = try MPISupport.mpi(2, ["train", data, "--output", ours, "--factors", "4", "--quiet"] + flags)
            XCTAssertEqual(refused.status, 2, refused.stderr)
            XCTAssertTrue(refused.stderr.contains(message), refused.stderr)
        }
    }
}
