import Foundation
import XCTest

/// `encore tune` with no grid: the automatic search, end to end through the CLI.
final class AutomaticTuneCLITests: XCTestCase {
    private func writePlays(in directory: URL) throws -> String {
        var rows = "user,item,plays\n"
        for u in 0..<40 { for i in 0..<16 where u % 2 == i % 2 { rows += "u\(u),a\(i),\(1 + (u * i) % 7)\n" } }
        return try TestSupport.write(rows, to: "plays.csv", in: directory)
    }

    func testTrialsPrintEveryRungTheTrainLineAndTheLibraryConfiguration() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try writePlays(in: directory)
        let run = try TestSupport.encore(["tune", data, "--trials", "6", "--iterations", "4"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        // 6 settings at 3 iterations, the best 2 at 4 (8 capped by --iterations), the best 1 at 4.
        let rows = lines.filter { $0.range(of: #"^\s+\d+\s+\d+\s+\d+\s+cg\s"#, options: .regularExpression) != nil }
        XCTAssertEqual(rows.count, 9, run.stdout)
        XCTAssertTrue(run.stderr.contains("9 trials done (rung 3)"), run.stderr)
        XCTAssertTrue(run.stdout.contains("on the untouched test split: MAP@10 "), run.stdout)
        let trainIndex = try XCTUnwrap(lines.firstIndex(of: "train it with:"))
        let command = lines[trainIndex + 1].trimmingCharacters(in: .whitespaces)
        XCTAssertTrue(command.hasPrefix("encore train \(data) --output model.encore --factors "), command)
        XCTAssertTrue(command.contains("--regularization-exponent "), command)
        XCTAssertEqual(lines[trainIndex + 2], "or in Swift:")
        XCTAssertEqual(lines[trainIndex + 3].trimmingCharacters(in: .whitespaces), "var configuration = ALSConfiguration()")
        XCTAssertTrue(lines.contains { $0.contains("configuration.regularizationExponent = ") }, run.stdout)
        // The printed command trains (into this test's folder).
        let model = directory.appendingPathComponent("model.encore").path
        let words = command.split(separator: " ").dropFirst().map { $0 == "model.encore" ? model : String($0) }
        let again = try TestSupport.encore(words)
        XCTAssertEqual(again.status, 0, again.stderr)
    }

    func testBudgetMustBeADuration() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try writePlays(in: directory)
        for bad in ["5x", "-3m", "m", "0s"] {
            let run = try TestSupport.encore(["tune", data, "--budget", bad])
            XCTAssertEqual(run.status, 2, "\(bad): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("--budget must be a duration such as 300s, 5m or 1h (got '\(bad)')"), run.stderr)
        }
        let short = try TestSupport.encore(["tune", data, "--budget", "20s", "--iterations", "3", "--search", "random", "--json"])
        XCTAssertEqual(short.status, 0, short.stderr)
        XCTAssertTrue(short.stdout.split(separator: "\n").last!.contains("\"test_map\":"), short.stdout)
    }
}
