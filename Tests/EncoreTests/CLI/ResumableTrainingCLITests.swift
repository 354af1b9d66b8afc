import XCTest
@testable import Encore

/// `encore train --checkpoint-dir`: a run killed with SIGKILL and started again with the same
/// command resumes after its last checkpoint and ends with the very factors of a run that was
/// never stopped; a checkpoint of another job is refused, never resumed.
final class ResumableTrainingCLITests: XCTestCase {
    /// A play log big enough that 40 iterations outlast the poll for the first checkpoint, small
    /// enough to train in a couple of seconds in a debug build: 1,500 users, 800 items, power-law-ish.
    static func plays() -> String {
        var rows = ""
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        for user in 0..<1500 {
            let count = 5 + Int(next() % 40)
            for _ in 0..<count {
                let r = Double(next() % 1_000_000) / 1_000_000
                let item = Int(800 * r * r)
                rows += "u\(user)\ti\(item)\t\(1 + next() % 50)\n"
            }
        }
        return rows
    }

    func testSIGKILLedRunResumesToTheSameFactorsAsAnUninterruptedOne() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try TestSupport.write(Self.plays(), to: "plays.tsv", in: directory)
        func command(_ model: String, _ checkpoints: String?) -> [String] {
            ["train", data, "--output", directory.appendingPathComponent(model).path, "--factors", "16", "--iterations", "40", "--threads", "2"]
                + (checkpoints.map { ["--checkpoint-dir", directory.appendingPathComponent($0).path, "--checkpoint-every", "1"] } ?? [])
        }
        // Checkpoints save the training state itself, so they change nothing: the reference
        // run has none.
        let uninterrupted = try TestSupport.encore(command("whole.model", nil))
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.stderr)

        // The same command, killed once its first checkpoint is on disk.
        let checkpoint = directory.appendingPathComponent("stopped/checkpoint.encore").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.encoreBinary)
        process.arguments = command("resumed.model", "stopped")
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint) && process.isRunning && Date() < deadline { usleep(2_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the first run was killed, not finished")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("resumed.model").path), "the killed run wrote no model")
        var configuration = ALSConfiguration()
        configuration.factors = 16
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: data)[.size] as? Int)
        let fingerprint = try TrainingCheckpoint.fingerprint(configuration: configuration, dataPath: data, dataBytes: size)
        let saved = try XCTUnwrap(TrainingCheckpoint.read(from: directory.appendingPathComponent("stopped").path, expecting: fingerprint))
        XCTAssertLessThan(saved.iteration, 40, "killed before the end")

        let resumed = try TestSupport.encore(command("resumed.model", "stopped"))
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming from \(checkpoint)"), resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("\"resumed_from\":"), resumed.stdout)
        XCTAssertFalse(resumed.stdout.contains("\"resumed_from\":0"), resumed.stdout)

        let whole = try ModelFile.read(from: directory.appendingPathComponent("whole.model").path)
        let again = try ModelFile.read(from: directory.appendingPathComponent("resumed.model").path)
        XCTAssertEqual(whole.factors.userFactors.packed(), again.factors.userFactors.packed(), "user factors bit for bit")
        XCTAssertEqual(whole.factors.itemFactors.packed(), again.factors.itemFactors.packed(), "item factors bit for bit")
        XCTAssertEqual(whole.summary.lossHistory, again.summary.lossHistory)
    }

    /// A checkpoint without training state is byte for byte the format encore-mpi has always
    /// written (here spelt out by hand), and reads back.
    func testPlainCheckpointKeepsTheFirstFormatsBytes() throws {
        let directory = try TestSupport.temporaryDirectory(self).path
        try TrainingCheckpoint(fingerprint: "job", iteration: 1, lossHistory: [2.5], userFactors: [1, 2], itemFactors: [3, 4, 5, 6], factors: 2)
            .write(to: directory)
        // The header's keys come in the encoder's order, which varies: compared as an object.
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: TrainingCheckpoint.path(in: directory)).map(Array.init))
        XCTAssertEqual(Array(bytes[0..<8]), Array("ENCORECK".utf8))
        let length = Int(bytes[8..<16].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[16..<(16 + length)])) as? NSDictionary)
        XCTAssertEqual(header, ["fingerprint": "job", "iteration": 1, "lossHistory": [2.5], "users": 1, "items": 2, "factors": 2] as NSDictionary)
        var rest: [UInt8] = []
        for value: Float in [1, 2, 3, 4, 5, 6] { withUnsafeBytes(of: value.bitPattern.littleEndian) { rest += $0 } }
        XCTAssertEqual(Array(bytes[(16 + length)...].dropLast(8)), rest)
        let sum = bytes.dropLast(8).withUnsafeBytes { Checksum.of($0) }
        XCTAssertEqual(Array(bytes.suffix(8)), withUnsafeBytes(of: sum.littleEndian) { Array($0) })
        let read = try XCTUnwrap(TrainingCheckpoint.read(from: directory, expecting: "job"))
        XCTAssertEqual(read.itemFactors, [3, 4, 5, 6])
        XCTAssertNil(read.turnedUsers)

        var turned = read
        turned.turnedItems = .init(vectors: [7, 8, 9, 10], basis: [0, 1, 1, 0])
        try turned.write(to: directory)
        let again = try XCTUnwrap(TrainingCheckpoint.read(from: directory, expecting: "job"))
        XCTAssertEqual(again.turnedItems, turned.turnedItems)
        XCTAssertNil(again.turnedUsers)
        XCTAssertEqual(again.userFactors, [1, 2])
    }

    func testAnotherJobsCheckpointIsRefused() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try TestSupport.write(Self.plays(), to: "plays.tsv", in: directory)
        let other = try TestSupport.write("a\tx\t1\na\ty\t2\nb\tx\t3\nc\ty\t1\n", to: "other.tsv", in: directory)
        let checkpoints = directory.appendingPathComponent("ck").path
        let model = directory.appendingPathComponent("m.model").path
        let first = try TestSupport.encore(["train", data, "--output", model, "--factors", "8", "--iterations", "2", "--checkpoint-dir", checkpoints, "--quiet"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let before = FileManager.default.contents(atPath: model)
        for arguments in [[data, "--factors", "8", "--iterations", "2", "--alpha", "3"],   // other model flags
                          [data, "--factors", "4", "--iterations", "2"],
                          [other, "--factors", "8", "--iterations", "2"]] {                // other data
            let run = try TestSupport.encore(["train"] + arguments + ["--output", model, "--checkpoint-dir", checkpoints, "--quiet"])
            XCTAssertEqual(run.status, 1, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("was written by a different job") && run.stderr.contains(TrainingCheckpoint.path(in: checkpoints)),
                          "\(arguments): \(run.stderr)")
            XCTAssertEqual(FileManager.default.contents(atPath: model), before, "\(arguments): the model was left alone")
        }
        // The same path and size with other contents: told apart by the data's checksum.
        let plays = Self.plays()
        let swapped = plays.replacingOccurrences(of: "u1\t", with: "u2\t").replacingOccurrences(of: "u3\t", with: "u1\t")
        XCTAssertEqual(swapped.utf8.count, plays.utf8.count)
        try Data(swapped.utf8).write(to: URL(fileURLWithPath: data))
        let rewritten = try TestSupport.encore(["train", data, "--output", model, "--factors", "8", "--iterations", "2", "--checkpoint-dir", checkpoints, "--quiet"])
        XCTAssertEqual(rewritten.status, 1, rewritten.stderr)
        XCTAssertTrue(rewritten.stderr.contains("its data file had other contents"), rewritten.stderr)
        try Data(plays.utf8).write(to: URL(fileURLWithPath: data))
        // More iterations of the same job are the same job: it goes on from the checkpoint.
        let longer = try TestSupport.encore(["train", data, "--output", model, "--factors", "8", "--iterations", "3", "--checkpoint-dir", checkpoints])
        XCTAssertEqual(longer.status, 0, longer.stderr)
        XCTAssertTrue(longer.stderr.contains("iterations 1–2 of 3 were done"), longer.stderr)
        XCTAssertTrue(longer.stdout.contains("\"resumed_from\":2"), longer.stdout)
    }
}
