import XCTest
@testable import Encore

/// Every file Encore writes goes through `AtomicFileWriter`: a full disk gives an error naming
/// the file, leaves the old file as it was and leaves no partial file behind; temporaries that
/// a killed process left are removed by the next writer of the same file. (Kills at random
/// moments are tried by `scripts/crash-trials`, which is too slow for the suite.)
final class CrashSafetyTests: XCTestCase {
    /// A 1 MiB tmpfs mounted for this test and unmounted after it; skips the test when this
    /// process is not root or the mount fails.
    func smallDisk() throws -> URL {
        guard getuid() == 0 else { throw XCTSkip("mounting a 1 MiB tmpfs to fill needs root; this process is uid \(getuid())") }
        let directory = try TestSupport.temporaryDirectory(self).appendingPathComponent("full")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func run(_ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", arguments.joined(separator: " ") + " 2>/dev/null"]
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        guard try run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", "'\(directory.path)'"]) == 0 else {
            throw XCTSkip("could not mount a 1 MiB tmpfs on \(directory.path) (no mount permission in this container?)")
        }
        addTeardownBlock { _ = try? run(["umount", "'\(directory.path)'"]) }
        return directory
    }

    /// Plays of 1,500 users and 800 items: with 128 factors its model takes 1.2 MB.
    func data(in directory: URL) throws -> String {
        try TestSupport.write(ResumableTrainingCLITests.plays(), to: "plays.tsv", in: directory)
    }

    func testAFullDiskKeepsTheOldFileNamesItAndLeavesNoPartialFile() throws {
        let disk = try smallDisk()
        let outside = try TestSupport.temporaryDirectory(self)
        let data = try data(in: outside)
        let model = disk.appendingPathComponent("plays.model").path
        let small = try TestSupport.encore(["train", data, "--output", model, "--factors", "4", "--iterations", "1", "--quiet"])
        XCTAssertEqual(small.status, 0, small.stderr)
        let old = try XCTUnwrap(FileManager.default.contents(atPath: model))

        func assertFailedCleanly(_ arguments: [String], naming path: String, line: UInt = #line) throws {
            let run = try TestSupport.encore(arguments)
            XCTAssertEqual(run.status, 1, "\(arguments): \(run.stderr)", line: line)
            XCTAssertTrue(run.stderr.contains(path) && run.stderr.contains("No space left on device"), run.stderr, line: line)
            XCTAssertEqual(FileManager.default.contents(atPath: model), old, "the old model is intact", line: line)
            let names = try FileManager.default.contentsOfDirectory(atPath: disk.path).sorted()
            XCTAssertTrue(names.allSatisfy { !$0.contains("encore-tmp") }, "no partial file: \(names)", line: line)
        }
        // A model bigger than the disk.
        try assertFailedCleanly(["train", data, "--output", model, "--factors", "128", "--iterations", "1", "--quiet"], naming: model)
        // recommend-all and recommend-items output bigger than the disk, over an existing file.
        let recommendations = disk.appendingPathComponent("recs.tsv").path
        try Data("old recommendations\n".utf8).write(to: URL(fileURLWithPath: recommendations))
        try assertFailedCleanly(["recommend-all", model, "--count", "100", "--output", recommendations], naming: recommendations)
        try assertFailedCleanly(["recommend-items", model, "--count", "200", "--output", recommendations], naming: recommendations)
        XCTAssertEqual(FileManager.default.contents(atPath: recommendations), Data("old recommendations\n".utf8))
        // A checkpoint bigger than the disk.
        let checkpoints = disk.appendingPathComponent("ck").path
        try assertFailedCleanly(["train", data, "--output", outside.appendingPathComponent("m").path, "--factors", "128", "--iterations", "1",
                                 "--checkpoint-dir", checkpoints, "--quiet"], naming: TrainingCheckpoint.path(in: checkpoints))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: checkpoints), [])
        // A small file on a disk already full: evaluate --curve's chart.
        let curve = disk.appendingPathComponent("curve.svg").path
        try Data("<svg/>\n".utf8).write(to: URL(fileURLWithPath: curve))
        let fillerPath = disk.appendingPathComponent("filler").path
        XCTAssertTrue(FileManager.default.createFile(atPath: fillerPath, contents: nil))
        let filler = try XCTUnwrap(FileHandle(forWritingAtPath: fillerPath))
        let block = Data(count: 4096)
        while (try? filler.write(contentsOf: block)) != nil {}
        try filler.close()
        try assertFailedCleanly(["evaluate", data, "--factors", "4", "--iterations", "2", "--curve", curve], naming: curve)
        XCTAssertEqual(FileManager.default.contents(atPath: curve), Data("<svg/>\n".utf8))
    }

    func testTemporariesOfKilledWritersAreRemovedByTheNextWriter() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let target = directory.appendingPathComponent("recs.tsv").path
        // A process that has ended: its pid names no running process (until reused, long after).
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        let stale = directory.appendingPathComponent(".recs.tsv.encore-tmp-\(ended.processIdentifier)-1f2e").path
        let live = directory.appendingPathComponent(".recs.tsv.encore-tmp-\(getpid())-3c4d").path
        let otherFile = directory.appendingPathComponent(".other.tsv.encore-tmp-\(ended.processIdentifier)-5e6f").path
        for path in [stale, live, otherFile] { try Data("partial".utf8).write(to: URL(fileURLWithPath: path)) }

        var writer = try AtomicFileWriter(path: target)
        XCTAssertTrue(writer.temporaryPath.hasPrefix(directory.appendingPathComponent(".recs.tsv.encore-tmp-\(getpid())-").path), writer.temporaryPath)
        try writer.write("new\n")
        try writer.commit()
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale), "a dead writer's temporary is removed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: live), "a running writer's temporary is left alone")
        XCTAssertTrue(FileManager.default.fileExists(atPath: otherFile), "another file's temporary is left alone")
        XCTAssertEqual(FileManager.default.contents(atPath: target), Data("new\n".utf8))
    }
}
