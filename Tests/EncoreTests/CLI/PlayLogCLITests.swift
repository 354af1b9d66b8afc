import XCTest
@testable import Encore

/// `encore import`, `synth --format binary`, and every reading command given the binary log.
final class PlayLogCLITests: XCTestCase {
    func testTrainFromTheImportedLogGivesTheModelOfTheTextAndSynthWritesWhatImportMakes() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let text = directory.appendingPathComponent("plays.tsv").path, log = directory.appendingPathComponent("plays.encore-data").path
        let synthLog = directory.appendingPathComponent("synth.encore-data").path
        let shape = ["--users", "300", "--items", "200", "--mean-per-user", "12", "--seed", "5"]
        XCTAssertEqual(try TestSupport.encore(["synth"] + shape + ["--output", text]).status, 0)
        XCTAssertEqual(try TestSupport.encore(["synth"] + shape + ["--output", synthLog]).status, 0)
        let imported = try TestSupport.encore(["import", text, "--output", log])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("\"plays\":"), imported.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: log)), try Data(contentsOf: URL(fileURLWithPath: synthLog)))

        let model = ["--factors", "5", "--iterations", "3", "--seed", "9"]
        let fromText = directory.appendingPathComponent("text.encore").path, fromLog = directory.appendingPathComponent("log.encore").path
        XCTAssertEqual(try TestSupport.encore(["train", text, "--output", fromText, "--quiet"] + model).status, 0)
        let train = try TestSupport.encore(["train", log, "--output", fromLog, "--quiet"] + model)
        XCTAssertEqual(train.status, 0, train.stderr)
        let a = try ModelFile.read(from: fromText), b = try ModelFile.read(from: fromLog)
        XCTAssertEqual(a.userIDs, b.userIDs)
        XCTAssertEqual(a.interactions, b.interactions)
        XCTAssertEqual(a.factors.userFactors.packed().map(\.bitPattern), b.factors.userFactors.packed().map(\.bitPattern))
        XCTAssertEqual(a.factors.itemFactors.packed().map(\.bitPattern), b.factors.itemFactors.packed().map(\.bitPattern))

        let evaluate = try TestSupport.encore(["evaluate", log] + model)
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let flags = try TestSupport.encore(["train", log, "--output", fromLog, "--delimiter", "comma"])
        XCTAssertNotEqual(flags.status, 0)
        XCTAssertTrue(flags.stderr.contains("binary play log"), flags.stderr)
    }

    /// `encore synth --output - | encore import -`: the text never touches the disk, and the log
    /// is the one importing the same text from a file makes, byte for byte.
    func testImportFromAPipeWritesTheLogOfTheFile() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let text = directory.appendingPathComponent("plays.tsv").path, fromFile = directory.appendingPathComponent("file.encore-data").path
        let fromPipe = directory.appendingPathComponent("pipe.encore-data").path
        let shape = ["--users", "400", "--items", "300", "--mean-per-user", "15", "--seed", "8"]
        XCTAssertEqual(try TestSupport.encore(["synth"] + shape + ["--output", text]).status, 0)
        let imported = try TestSupport.encore(["import", text, "--output", fromFile])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let binary = TestSupport.encoreBinary
        let pipeline = Process()
        pipeline.executableURL = URL(fileURLWithPath: "/bin/sh")
        pipeline.arguments = ["-c", "'\(binary)' synth \(shape.joined(separator: " ")) --output - | '\(binary)' import - --output '\(fromPipe)'"]
        pipeline.standardOutput = FileHandle.nullDevice
        pipeline.standardError = FileHandle.nullDevice
        try pipeline.run()
        pipeline.waitUntilExit()
        XCTAssertEqual(pipeline.terminationStatus, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: fromPipe)), try Data(contentsOf: URL(fileURLWithPath: fromFile)))
        // Text on standard input through the test's own pipe, with a bad row: file and line named, nothing written.
        let bad = directory.appendingPathComponent("bad.encore-data").path
        let run = try TestSupport.encore(["import", "-", "--output", bad], stdin: "a\tx\t1\nb\ty\tlots\n")
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("standard input:2:"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: bad))
        let binaryToPipe = try TestSupport.encore(["synth"] + shape + ["--format", "binary", "--output", "-"])
        XCTAssertEqual(binaryToPipe.status, 2, binaryToPipe.stderr)
    }

    func testImportOfABadRowNamesFileAndLineAndLeavesNoOutput() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let text = try TestSupport.write("a\tx\t1\nb\ty\tlots\n", to: "bad.tsv", in: directory)
        let log = directory.appendingPathComponent("bad.encore-data").path
        let run = try TestSupport.encore(["import", text, "--output", log])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("bad.tsv:2:"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: log))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["bad.tsv"])
    }
}
