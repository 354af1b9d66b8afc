import Encore
import Foundation
import XCTest

/// `mpirun -np 1, 2, 3 encore-mpi train` against the single-process `encore train` on the same
/// file and seed: the reference is the other binary's model, trained by the code path the rest of
/// the suite checks against a dense normal-equation solve.
final class DistributedTrainingTests: XCTestCase {
    func testEveryStrategyOnOneTwoAndThreeProcessesEqualsTheSingleProcessModel() throws {
        let directory = try temporaryDirectory()
        let data = try writePlayLog(in: directory)
        for solver in ["cholesky", "cg"] {
            let flags = ["--factors", "6", "--iterations", "6", "--seed", "11", "--solver", solver, "--cg-steps", "4", "--quiet"]
            let reference = directory.appendingPathComponent("single-\(solver).model").path
            let single = try MPISupport.encore(["train", data, "--output", reference] + flags)
            XCTAssertEqual(single.status, 0, single.stderr)
            for processes in 1...3 {
                for strategy in ["half-gridify", "full-gridify", "broadcast"] {
                    let output = directory.appendingPathComponent("\(solver)-\(processes)-\(strategy).model").path
                    let run = try MPISupport.mpi(processes, ["train", data, "--output", output, "--strategy", strategy] + flags)
                    let label = "\(solver), \(processes) processes, \(strategy)"
                    XCTAssertEqual(run.status, 0, "\(label): \(run.stderr)")
                    let facts = try summary(run)
                    XCTAssertEqual(facts["processes"] as? Int, processes, label)
                    XCTAssertEqual(facts["rows"] as? Int, try XCTUnwrap(summary(MPISupport.Run(status: 0, stdout: single.stdout, stderr: "")))["rows"] as? Int, label)
                    if processes == 1 { XCTAssertEqual(facts["bytes_per_iteration"] as? Int, 0, "one process sends nothing: \(label)") }
                    if strategy == "full-gridify" {
                        XCTAssertEqual(facts["bytes_per_iteration"] as? Int, facts["predicted_bytes_per_iteration"] as? Int, "full gridify moves exactly its records: \(label)")
                    }
                    // Full gridify's CG runs on the assembled Double system rather than on the
                    // packed vectors: the same iterates, rounded differently.
                    try assertSameModel(output, reference, tolerance: solver == "cg" && strategy == "full-gridify" ? 2e-3 : 1e-4, label)
                }
            }
        }
    }

    func testHalfGridifyMovesOnlyTheVectorsItsRowsNeed() throws {
        let directory = try temporaryDirectory()
        let data = try writePlayLog(in: directory)
        var traffic: [String: Int] = [:]
        for strategy in ["half-gridify", "broadcast"] {
            let run = try MPISupport.mpi(3, ["train", data, "--output", directory.appendingPathComponent("\(strategy).model").path,
                                             "--factors", "8", "--iterations", "2", "--strategy", strategy, "--quiet"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let facts = try summary(run)
            let measured = try XCTUnwrap(facts["bytes_per_iteration"] as? Int), predicted = try XCTUnwrap(facts["predicted_bytes_per_iteration"] as? Int)
            // Beyond the formula's payload only the per-exchange counts travel: a few hundred bytes.
            XCTAssertGreaterThanOrEqual(measured, predicted, strategy)
            XCTAssertLessThan(measured - predicted, 1024, strategy)
            traffic[strategy] = measured
        }
        // 120 users × 50 items split three ways: broadcast sends each of the 170 vectors to 2
        // other processes; half gridify sends only those some other process's rows rated.
        let broadcastPayload = 2 * (120 + 50) * 8 * 4
        XCTAssertEqual(Double(try XCTUnwrap(traffic["broadcast"])), Double(broadcastPayload + 3 * (2 * 64 + 2) * 8), accuracy: 1024)
        XCTAssertLessThan(try XCTUnwrap(traffic["half-gridify"]), try XCTUnwrap(traffic["broadcast"]))
    }

    func testAKilledJobFailsWithoutHangingAndResumesToTheSameModel() throws {
        let directory = try temporaryDirectory()
        let data = try writePlayLog(in: directory)
        let checkpoints = directory.appendingPathComponent("checkpoints").path
        let model = ["--factors", "6", "--iterations", "7", "--seed", "5"]
        let flags = model + ["--checkpoint-dir", checkpoints, "--checkpoint-every", "2"]
        let output = directory.appendingPathComponent("resumed.model").path

        let killed = try MPISupport.mpi(2, ["train", data, "--output", output, "--fail-after-iteration", "5"] + flags)
        XCTAssertNotEqual(killed.status, 0)
        XCTAssertTrue(killed.stderr.contains("exited with non-zero status") || killed.stderr.contains("exited on signal"), killed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "a failed job writes no model")
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("checkpoints/checkpoint.encore").path))

        let resumed = try MPISupport.mpi(2, ["train", data, "--output", output] + flags)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try summary(resumed)["resumed_from"] as? Int, 4, "the last complete checkpoint is after iteration 4")

        let uninterrupted = directory.appendingPathComponent("uninterrupted.model").path
        let whole = try MPISupport.mpi(2, ["train", data, "--output", uninterrupted, "--quiet"] + model)
        XCTAssertEqual(whole.status, 0, whole.stderr)
        try assertSameModel(output, uninterrupted, tolerance: 1e-6, "resumed vs uninterrupted")
        XCTAssertEqual(try ModelFile.read(from: output).summary.lossHistory.count, 7)

        // A checkpoint of another job (other hyperparameters) is refused, not resumed.
        let other = try MPISupport.mpi(2, ["train", data, "--output", output, "--regularization", "0.5"] + flags)
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("was written by a different job"), other.stderr)
    }

    func testABadRowIsReportedWithItsFileLineByWhicheverProcessReadIt() throws {
        let directory = try temporaryDirectory()
        var lines = ["user\titem\tplays"]
        for row in 0..<400 { lines.append("u\(row % 37)\ti\(row % 23)\t\(row % 9 + 1)") }
        lines[351] = "u5\ti7\tlots"   // line 352 of the file, in the last process's slice
        let data = directory.appendingPathComponent("bad.tsv").path
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: data))
        let output = directory.appendingPathComponent("never.model").path
        for processes in [1, 3] {
            let run = try MPISupport.mpi(processes, ["train", data, "--output", output, "--iterations", "2"])
            MPISupport.assertRefused(run)
            XCTAssertTrue(run.stderr.contains("\(data):352:") && run.stderr.contains("lots"), run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
            let skipping = try MPISupport.mpi(processes, ["train", data, "--output", output, "--iterations", "2", "--skip-invalid"])
            XCTAssertEqual(skipping.status, 0, skipping.stderr)
            XCTAssertEqual(try summary(skipping)["rows"] as? Int, 399)
            XCTAssertTrue(skipping.stderr.contains("skipped 1 invalid row"), skipping.stderr)
            try FileManager.default.removeItem(atPath: output)
        }
        let missing = try MPISupport.mpi(2, ["train", directory.appendingPathComponent("absent.tsv").path, "--output", output])
        MPISupport.assertRefused(missing)
        XCTAssertTrue(missing.stderr.contains("absent.tsv"), missing.stderr)
        // An output folder that does not exist is refused before the data is read.
        let nowhere = directory.appendingPathComponent("missing/m.encore").path
        let noFolder = try MPISupport.mpi(2, ["train", data, "--output", nowhere, "--skip-invalid"])
        MPISupport.assertRefused(noFolder)
        XCTAssertTrue(noFolder.stderr.contains("\(nowhere): cannot create a file in its folder"), noFolder.stderr)
        XCTAssertFalse(noFolder.stderr.contains("read 399 rows"), noFolder.stderr)
    }

    func testTheModelIsNeverWrittenOverTheData() throws {
        let directory = try temporaryDirectory()
        let data = try writePlayLog(in: directory)
        let before = try Data(contentsOf: URL(fileURLWithPath: data))
        let link = directory.appendingPathComponent("plays.model").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: data)
        for output in [data, link] {
            let run = try MPISupport.mpi(2, ["train", data, "--output", output, "--iterations", "1"])
            XCTAssertEqual(run.status, 2, run.stderr)
            XCTAssertTrue(run.stderr.contains("--output '\(output)' is the same file as the data file '\(data)': nothing was written"), run.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: data)), before)
        }
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), data)
        // The exit-status rule of `encore` holds here too: a value out of range is a usage error.
        let output = directory.appendingPathComponent("m.model").path
        let negative = try MPISupport.mpi(2, ["train", data, "--output", output, "--regularization", "-1"])
        XCTAssertEqual(negative.status, 2, negative.stderr)
        XCTAssertTrue(negative.stderr.contains("--regularization must be a number ≥ 0 (got '-1')"), negative.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    func testIDsAreTrimmedByEveryProcessAndCountedOnce() throws {
        let directory = try temporaryDirectory()
        var lines: [String] = []
        for row in 0..<300 { lines.append("u\(row % 20)\(row % 50 == 7 ? "  " : "")\ta\(row % 13)\t\(row % 4 + 1)") }
        let data = directory.appendingPathComponent("spaces.tsv").path
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: data))
        let output = directory.appendingPathComponent("m.model").path
        let run = try MPISupport.mpi(2, ["train", data, "--output", output, "--iterations", "1", "--factors", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try summary(run)["users"] as? Int, 20)
        XCTAssertTrue(run.stderr.contains("trimmed surrounding whitespace from 6 IDs of \(data)"), run.stderr)
        XCTAssertTrue(run.stderr.contains("  \(data):8: 'u7  '"), run.stderr)
    }

    func testLastFM2KOnTwoProcessesEqualsTheSingleProcessModel() throws {
        let path = MPISupport.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/lastfm-2k/user_artists.dat").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("../shared/data/lastfm-2k is not beside the checkout")
        }
        let directory = try temporaryDirectory()
        // The exact solver to 1e-4; the default CG to 1e-3, since three CG steps from two
        // processes' differently summed systems end slightly apart.
        for (solver, tolerance) in [("cholesky", Float(1e-4)), ("cg", Float(1e-3))] {
            let flags = ["--factors", "16", "--iterations", "4", "--seed", "2", "--solver", solver, "--quiet"]
            let reference = directory.appendingPathComponent("single-\(solver).model").path
            XCTAssertEqual(try MPISupport.encore(["train", path, "--output", reference] + flags).status, 0)
            let output = directory.appendingPathComponent("two-\(solver).model").path
            let run = try MPISupport.mpi(2, ["train", path, "--output", output] + flags)
            XCTAssertEqual(run.status, 0, run.stderr)
            try assertSameModel(output, reference, tolerance: tolerance, "Last.fm 2K, 2 processes, \(solver)")
            XCTAssertEqual(try ModelFile.read(from: output).itemNames, try ModelFile.read(from: reference).itemNames)
        }
    }
}
