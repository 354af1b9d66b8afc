import XCTest
import FoundationXML
@testable import Encore

/// `encore evaluate` and `encore tune` end to end on a file written by hand.
final class EvaluationCLITests: XCTestCase {
    /// Two taste groups of listeners with timestamps: a clear signal for every model. Each
    /// listener plays their group's artists in a rotated order, so the latest two (what a time
    /// split holds out) differ from listener to listener and every held-out artist was played by
    /// others in training. (Played in one order by everyone, the held-out artists were unknown
    /// to training: their vectors were zero and ALS's AUC a coin flip on the seed, 0.125 or 0.875.)
    func writePlays(in directory: URL) throws -> String {
        var rows = "user,item,plays,time\n"
        for u in 0..<40 { for i in 0..<16 where u % 2 == i % 2 { rows += "u\(u),a\(i),\(1 + (u * i) % 7),\(1000 + u * 16 + (i + 2 * u) % 16)\n" } }
        return try TestSupport.write(rows, to: "plays.csv", in: directory)
    }

    func testEvaluateCompareJSONAndCurve() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try writePlays(in: directory)
        let run = try TestSupport.encore(["evaluate", data, "--compare", "--json", "--k", "5", "--factors", "4", "--time-column", "time", "--split", "time"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(lines.compactMap { $0?["model"] as? String }, ["als", "popularity", "item-knn (bm25)", "ease (log)"])
        for line in lines {
            for key in ["precision", "recall", "map", "ndcg", "auc", "mean_percentile_rank", "coverage"] {
                let value = try XCTUnwrap(line?[key] as? Double, key)
                XCTAssertTrue((0...1).contains(value), "\(key) = \(value)")
            }
        }
        // Two clean taste groups: ALS ranks held-out items far above chance, and above popularity
        // (which knows nothing of taste here: every artist has about as many listeners). This
        // holds for every seed, not only the default (checked for seeds 0–7).
        let alsAUC = lines[0]?["auc"] as? Double ?? 0, popularityAUC = lines[1]?["auc"] as? Double ?? 1
        XCTAssertGreaterThan(alsAUC, 0.8)
        XCTAssertGreaterThan(alsAUC, popularityAUC + 0.1)

        let svg = directory.appendingPathComponent("curve.svg").path
        let curve = try TestSupport.encore(["evaluate", data, "--factors", "4", "--iterations", "4", "--curve", svg])
        XCTAssertEqual(curve.status, 0, curve.stderr)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("<?xml"))
        XCTAssertEqual(text.components(separatedBy: "<polyline").count - 1, 2, "a loss line and a metric line")
        XCTAssertTrue(text.contains("training loss") && text.contains("MAP@10") && text.contains("iteration"))
        XCTAssertNoThrow(try XMLDocument(xmlString: text))

        let noTime = try TestSupport.encore(["evaluate", data, "--split", "time"])
        XCTAssertEqual(noTime.status, 1)
        XCTAssertTrue(noTime.stderr.contains("needs timestamps"), noTime.stderr)
    }

    func testEvaluateEASEAloneAndInTheComparisonTable() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try writePlays(in: directory)
        let run = try TestSupport.encore(["evaluate", data, "--model", "ease", "--ease-input", "binary", "--ease-regularization", "5", "--ease-precision", "double", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["model"] as? String, "ease (binary)")
        // Two clean taste groups: EASE's weights never cross them, so held-out items rank high.
        XCTAssertGreaterThan(try XCTUnwrap(object["auc"] as? Double), 0.8)
        let table = try TestSupport.encore(["evaluate", data, "--compare", "--factors", "4"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.split(separator: "\n").contains { $0.hasPrefix("ease (log) ") }, table.stdout)
        let bad = try TestSupport.encore(["evaluate", data, "--model", "ease", "--ease-regularization", "0"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--ease-regularization must be a number > 0"), bad.stderr)
    }

    func testTuneEASEPrintsEveryTrialAndTheEvaluateCommand() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try writePlays(in: directory)
        // Three λ for each of the two inputs.
        let command = try tunedCommand(["tune", data, "--model", "ease", "--grid-ease-regularization", "1,10,100"], trials: 6, row: #"^\s+[1-6]\s+(binary|log)\s"#)
        XCTAssertTrue(command.hasPrefix("encore evaluate \(data) --model ease --ease-input "), command)
        // The printed command runs.
        let words = command.split(separator: " ").dropFirst().map(String.init)
        let again = try TestSupport.encore(words)
        XCTAssertEqual(again.status, 0, again.stderr)
    }

    func testTuneGridPrintsEveryTrialAndTheTrainCommand() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try writePlays(in: directory)
        let command = try tunedCommand(["tune", data, "--grid-factors", "2,4", "--grid-confidence", "linear,log", "--iterations", "3", "--metric", "ndcg"],
                                       trials: 4, row: #"^\s+[1-4]\s"#)
        XCTAssertTrue(command.hasPrefix("encore train \(data) --output model.encore --factors "), command)
    }

    /// Runs `encore tune`, checks it printed `trials` rows matching `row` and counted them on
    /// stderr, and returns the command it printed last.
    func tunedCommand(_ arguments: [String], trials: Int, row: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let run = try TestSupport.encore(arguments)
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.range(of: row, options: .regularExpression) != nil }.count, trials, run.stdout, file: file, line: line)
        XCTAssertTrue(run.stderr.contains("\(trials)/\(trials) trials done"), run.stderr, file: file, line: line)
        return try XCTUnwrap(lines.last, file: file, line: line).trimmingCharacters(in: .whitespaces)
    }

    func testTuneJSONNamesEachKeyOnceAndTheCommandSurvivesTheShell() throws {
        // A folder whose name needs quoting: a space and a single quote.
        let directory = try TestSupport.temporaryDirectory(self).appendingPathComponent("it's here")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let data = try writePlays(in: directory)
        let run = try TestSupport.encore(["tune", data, "--grid-factors", "2", "--iterations", "2", "--metric", "ndcg", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let last = try XCTUnwrap(run.stdout.split(separator: "\n").last.map(String.init))
        for key in ["best_validation_ndcg", "test_ndcg", "test_map", "command"] {
            XCTAssertEqual(last.components(separatedBy: "\"\(key)\":").count - 1, 1, "\(key) in \(last)")
        }
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let command = try XCTUnwrap(object["command"] as? String)
        // The shell, not Encore, splits the printed command back into words.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "printf '%s\\n' " + command]
        let out = Pipe()
        shell.standardOutput = out
        try shell.run()
        let words = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
        shell.waitUntilExit()
        XCTAssertEqual(Array(words.prefix(3)), ["encore", "train", data])
    }
}
