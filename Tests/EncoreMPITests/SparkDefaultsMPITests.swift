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
    }
}
