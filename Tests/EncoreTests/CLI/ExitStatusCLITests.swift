import XCTest
@testable import Encore

/// One exit-status rule for every command: 2 when the command line is wrong (an unknown option,
/// a missing or malformed value, a value out of its range), with the message quoting what was
/// typed; 1 when a well-formed command fails at its work (a bad file, an unknown ID).
final class ExitStatusCLITests: XCTestCase {
    func assertStatus(_ arguments: [String], _ status: Int32, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try TestSupport.encore(arguments)
        XCTAssertEqual(run.status, status, "\(arguments): \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.contains(message), "\(arguments): expected '\(message)' in: \(run.stderr)", file: file, line: line)
        XCTAssertEqual(run.stdout, "", "\(arguments)", file: file, line: line)
    }

    func testOutOfRangeModelValuesAreUsageErrorsQuotingTheText() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let data = try TestSupport.write("a\tx\t1\nb\ty\t2\na\ty\t3\n", to: "plays.tsv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        let train = ["train", data, "--output", model]
        try assertStatus(train + ["--factors", "0"], 2, "--factors must be a whole number from 1 to 4096 (got '0')")
        try assertStatus(train + ["--regularization", "-1"], 2, "--regularization must be a number ≥ 0 (got '-1')")
        try assertStatus(train + ["--regularization=-1e-3"], 2, "--regularization must be a number ≥ 0 (got '-1e-3')")
        try assertStatus(train + ["--regularization", "lots"], 2, "--regularization must be a number ≥ 0 (got 'lots')")
        try assertStatus(train + ["--alpha", "-0.50"], 2, "--alpha must be a number ≥ 0 (got '-0.50')")
        try assertStatus(train + ["--alpha", "1e40"], 2, "--alpha must be a number ≥ 0 (got '1e40')")
        try assertStatus(train + ["--epsilon", "0"], 2, "--epsilon must be a number > 0 (got '0')")
        try assertStatus(train + ["--nonnegative", "--solver", "cg"], 2, "--nonnegative needs --solver cholesky")
        try assertStatus(train + ["--user-column", "-1"], 2, "--user-column must be a 0-based column index or a header name (got '-1')")
        try assertStatus(train + ["--weight-column="], 2, "--weight-column must be a 0-based column index or a header name (got '')")
        try assertStatus(["evaluate", data, "--regularization", "-1"], 2, "(got '-1')")
        try assertStatus(["tune", data, "--alpha", "-2"], 2, "(got '-2')")
        XCTAssertFalse(FileManager.default.fileExists(atPath: model))
    }

    func testOtherCommandsFollowTheSameRule() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        var rows = ""
        for u in 0..<6 { for i in 0..<6 where (u + i) % 2 == 0 { rows += "u\(u)\ta\(i)\t\(u + i + 1)\n" } }
        let data = try TestSupport.write(rows, to: "plays.tsv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        XCTAssertEqual(try TestSupport.encore(["train", data, "--output", model, "--factors", "2", "--quiet"]).status, 0)

        try assertStatus(["radio", model, "--seed", "a0", "--diversity", "1.5"], 2, "--diversity must be a number from 0 to 1 (got '1.5')")
        // A list of plays typed on the command line is a value like any other.
        try assertStatus(["recommend", model, "--plays", "a0:-3"], 2, "(got '-3')")
        try assertStatus(["recommend", model, "--plays", "a0:many"], 2, "(got 'many')")
        try assertStatus(["recommend", model, "--plays", "a0:0,a2:0"], 2, "--plays has no play count above 0 (got 'a0:0,a2:0')")
        try assertStatus(["recommend", model, "--plays", ","], 2, "--plays holds no plays (got ',')")
        let synth = directory.appendingPathComponent("synth.tsv").path
        try assertStatus(["synth", "--items", "10", "--mean-per-user", "2", "--output", synth], 2, "--users U is required")
        try assertStatus(["synth", "--users", "5", "--items", "10", "--mean-per-user", "0", "--output", synth], 2, "--mean-per-user must be a number from 1 to 5 (got '0')")
        XCTAssertFalse(FileManager.default.fileExists(atPath: synth))

        // Well-formed commands whose work fails: 1.
        try assertStatus(["recommend", model, "--user", "nobody"], 1, "unknown user 'nobody'")
        try assertStatus(["recommend", model, "--plays", "No Such Band:3"], 1, "no item with ID or name 'No Such Band'")
        try assertStatus(["radio", model, "--seed", "a0", "--length", "50"], 1, "can be played")
        let zeros = try TestSupport.write("a0\t0\n", to: "zeros.tsv", in: directory)
        try assertStatus(["recommend", model, "--plays", zeros], 1, "no play count above 0")
        try assertStatus(["recommend", data, "--user", "u0"], 1, "not a usable Encore model file")
        try assertStatus(["train", directory.appendingPathComponent("absent.tsv").path, "--output", model], 1, "absent.tsv")
    }
}
