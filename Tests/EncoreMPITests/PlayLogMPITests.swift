import Encore
import Foundation
import XCTest

/// `encore-mpi train` given a binary play log (`encore import`): each process reads only its
/// rows of the file, and the job trains the model it trains from the text.
final class PlayLogMPITests: XCTestCase {
    func testTwoAndThreeProcessesOnTheLogTrainTheModelOfTheText() throws {
        let directory = try temporaryDirectory()
        let text = try writePlayLog(in: directory)
        let log = directory.appendingPathComponent("plays.encore-data").path
        let imported = try MPISupport.encore(["import", text, "--output", log, "--quiet"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let flags = ["--factors", "6", "--iterations", "4", "--seed", "3", "--quiet"]
        for processes in [2, 3] {
            let fromText = directory.appendingPathComponent("text-\(processes).model").path, fromLog = directory.appendingPathComponent("log-\(processes).model").path
            let textRun = try MPISupport.mpi(processes, ["train", text, "--output", fromText] + flags)
            XCTAssertEqual(textRun.status, 0, textRun.stderr)
            let logRun = try MPISupport.mpi(processes, ["train", log, "--output", fromLog] + flags)
            XCTAssertEqual(logRun.status, 0, logRun.stderr)
            XCTAssertEqual(try summary(logRun)["rows"] as? Int, try summary(textRun)["rows"] as? Int)
            let a = try ModelFile.read(from: fromLog), b = try ModelFile.read(from: fromText)
            XCTAssertEqual(a.factors.userFactors.packed().map(\.bitPattern), b.factors.userFactors.packed().map(\.bitPattern), "\(processes) processes")
            XCTAssertEqual(a.factors.itemFactors.packed().map(\.bitPattern), b.factors.itemFactors.packed().map(\.bitPattern), "\(processes) processes")
            try assertSameModel(fromLog, fromText, tolerance: 1e-6, "\(processes) processes")
        }
        var damaged = try Data(contentsOf: URL(fileURLWithPath: log))
        damaged[20] ^= 1
        try damaged.write(to: URL(fileURLWithPath: log))
        let refused = try MPISupport.mpi(2, ["train", log, "--output", directory.appendingPathComponent("x.model").path] + flags)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("header is damaged"), refused.stderr)
    }
}
