import XCTest
@testable import Encore

/// What each command checks of a model file (format version 4, chunks of 1 MiB): a damaged byte
/// is refused, naming the file and the section, by every command that reads it, with exit
/// status 1 and nothing on stdout; a one-shot command about one listener does not read the
/// other listeners' rows, so damage there is left to the commands that read every listener and
/// to `encore verify`.
final class ModelCheckingCLITests: XCTestCase {
    /// 20,000 listeners of 8 artists each out of 200, k = 2: the user factors (64 bytes a row)
    /// and the training matrix (1.4 MB) span more than one chunk, so the last listener's rows
    /// are in chunks of their own, away from the first listener's.
    static func trainModel(in directory: URL) throws -> String {
        var rows = ""
        for u in 0..<20_000 { for j in 0..<8 { rows += "u\(u)\ta\((u * 7 + j * 13) % 200)\t\(1 + (u + j) % 5)\n" } }
        let data = try TestSupport.write(rows, to: "plays.tsv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        let run = try TestSupport.encore(["train", data, "--output", model, "--factors", "2", "--iterations", "1", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        return model
    }

    /// The byte ranges of a version 4 file's sections, read by hand from its chunk table.
    static func sections(of bytes: [UInt8]) -> [UInt64: Range<Int>] {
        func word(_ offset: Int) -> Int { Int(bytes[offset..<(offset + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) }
        let table = 24 + word(16)
        var sections: [UInt64: Range<Int>] = [:]
        for s in 0..<word(table + 8) {
            let start = word(table + 24 + 24 * s)
            sections[UInt64(word(table + 16 + 24 * s))] = start..<(start + word(table + 32 + 24 * s))
        }
        return sections
    }

    func expectRefused(_ arguments: [String], naming section: String, model: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try TestSupport.encore(arguments)
        XCTAssertEqual(run.status, 1, "\(arguments): \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.contains("\(model): not a usable Encore model file: its \(section) section is corrupted"), "\(arguments): \(run.stderr)", file: file, line: line)
        XCTAssertEqual(run.stdout, "", "\(arguments)", file: file, line: line)
    }

    func testEachCommandRefusesTheDamagedChunksItReadsAndVerifyRefusesAny() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let model = try Self.trainModel(in: directory)
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: model)))
        XCTAssertEqual(original[8], 4, "what encore train writes")
        let sections = Self.sections(of: original)
        let first = try TestSupport.encore(["recommend", model, "--user", "u0", "--count", "3"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(try TestSupport.encore(["verify", model]).stdout.contains("every check passed: format version 4"))

        func damage(_ section: UInt64) throws {
            var bytes = original
            bytes[sections[section]!.upperBound - 1] ^= 0x01  // the last listener's row, or the section's last byte
            try Data(bytes).write(to: URL(fileURLWithPath: model))
        }

        // The last listener's factor row: only what reads that listener, or every listener, refuses it.
        try damage(5)
        XCTAssertEqual(try TestSupport.encore(["recommend", model, "--user", "u0", "--count", "3"]).stdout, first.stdout)
        XCTAssertEqual(try TestSupport.encore(["similar", model, "--item", "a1", "--count", "3"]).status, 0)
        XCTAssertEqual(try TestSupport.encore(["radio", model, "--seed", "a1", "--user", "u0", "--length", "3"]).status, 0)
        try expectRefused(["recommend", model, "--user", "u19999"], naming: "user factors", model: model)
        try expectRefused(["radio", model, "--seed", "a1", "--user", "u19999", "--length", "3"], naming: "user factors", model: model)
        XCTAssertEqual(try TestSupport.encore(["explain", model, "--user", "u0", "--item", "a1"]).status, 0)
        try expectRefused(["explain", model, "--user", "u19999", "--item", "a1"], naming: "user factors", model: model)
        try expectRefused(["recommend-all", model, "--count", "2"], naming: "user factors", model: model)
        try expectRefused(["similar-users", model, "--user", "u0"], naming: "user factors", model: model)
        try expectRefused(["verify", model], naming: "user factors", model: model)

        // The last listener's last training weight: similar and radio count every item's listeners.
        try damage(7)
        XCTAssertEqual(try TestSupport.encore(["recommend", model, "--user", "u0", "--count", "3"]).stdout, first.stdout)
        try expectRefused(["recommend", model, "--user", "u19999"], naming: "training matrix", model: model)
        XCTAssertEqual(try TestSupport.encore(["explain", model, "--user", "u0", "--item", "a1"]).status, 0)
        try expectRefused(["explain", model, "--user", "u19999", "--item", "a1"], naming: "training matrix", model: model)
        try expectRefused(["similar", model, "--item", "a1"], naming: "training matrix", model: model)
        try expectRefused(["radio", model, "--seed", "a1", "--length", "3"], naming: "training matrix", model: model)
        try expectRefused(["verify", model], naming: "training matrix", model: model)

        // The item side and the ID tables: every command reads them.
        for (section, title) in [(6, "item factors"), (3, "item ID table"), (2, "user ID table"), (1, "header")] as [(UInt64, String)] {
            try damage(section)
            try expectRefused(["recommend", model, "--user", "u0"], naming: title, model: model)
            try expectRefused(["recommend", model, "--plays", "a1:3"], naming: title, model: model)
            try expectRefused(["similar", model, "--item", "a1"], naming: title, model: model)
            try expectRefused(["radio", model, "--seed", "a1", "--length", "3"], naming: title, model: model)
            try expectRefused(["verify", model], naming: title, model: model)
        }
    }

    /// Files of the versions before 4 have one checksum, checked whole by every command.
    func testAVersion3FileIsStillReadAndCheckedWhole() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let model = try Self.trainModel(in: directory)
        let expected = try TestSupport.encore(["recommend", model, "--user", "u5", "--count", "3"]).stdout
        let old = directory.appendingPathComponent("v3.encore").path
        try ModelFile.write(try ModelFile.read(from: model), to: old, version: 3)
        XCTAssertEqual(try TestSupport.encore(["recommend", old, "--user", "u5", "--count", "3"]).stdout, expected)
        XCTAssertTrue(try TestSupport.encore(["verify", old]).stdout.contains("format version 3, one whole-file checksum"))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: old)))
        bytes[bytes.count - 20] ^= 0x01  // the last listener's last weight
        try Data(bytes).write(to: URL(fileURLWithPath: old))
        for arguments in [["recommend", old, "--user", "u5"], ["verify", old]] {
            let run = try TestSupport.encore(arguments)
            XCTAssertEqual(run.status, 1)
            XCTAssertTrue(run.stderr.contains("its checksum does not match (the file is corrupted)"), run.stderr)
        }
    }
}
