import XCTest
@testable import Encore

/// No command writes its output over one of its own inputs: the same path, another spelling of
/// it, a symbolic or hard link to it. The command exits 2 (a usage mistake), names both, and
/// leaves every file as it was.
final class OutputPathCLITests: XCTestCase {
    /// The bytes of every file in `directory` (links as links), to show nothing changed.
    func snapshot(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let path = directory.appendingPathComponent(name).path
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                files[name] = Data("link to \(target)".utf8)
            } else {
                files[name] = FileManager.default.contents(atPath: path)
            }
        }
        return files
    }

    func assertRefused(_ arguments: [String], output: String, input: String, in directory: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try snapshot(directory)
        let run = try TestSupport.encore(arguments)
        XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.contains("'\(output)'") && run.stderr.contains("'\(input)'") && run.stderr.contains("nothing was written"),
                      "the message names both paths: \(run.stderr)", file: file, line: line)
        XCTAssertEqual(try snapshot(directory), before, "\(arguments) changed a file", file: file, line: line)
    }

    func testTrainRefusesToWriteTheModelOverItsDataOrNamesFile() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        var rows = ""
        for u in 0..<6 { for i in 0..<4 where (u + i) % 2 == 0 { rows += "\(u)\t\(i)\t\(u + i + 1)\n" } }
        let data = try TestSupport.write(rows, to: "user_artists.dat", in: directory)
        let names = try TestSupport.write("id\tname\n0\tA\n1\tB\n2\tC\n3\tD\n", to: "artists.dat", in: directory)

        try assertRefused(["train", data, "--output", data], output: data, input: data, in: directory)
        // Another spelling of the same path, a symbolic link and a hard link to it.
        let respelt = directory.appendingPathComponent("sub/../user_artists.dat").path
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try assertRefused(["train", data, "--output", respelt], output: respelt, input: data, in: directory)
        let link = directory.appendingPathComponent("link.model").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: data)
        try assertRefused(["train", data, "--output", link], output: link, input: data, in: directory)
        let hard = directory.appendingPathComponent("hard.model").path
        try FileManager.default.linkItem(atPath: data, toPath: hard)
        try assertRefused(["train", data, "--output", hard], output: hard, input: data, in: directory)
        // The Last.fm 2K preset reads artist names from artists.dat beside the data.
        try assertRefused(["train", data, "--output", names], output: names, input: names, in: directory)

        // A model is still written anywhere else.
        let model = directory.appendingPathComponent("m.encore").path
        let run = try TestSupport.encore(["train", data, "--output", model, "--factors", "2", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)

        // evaluate --curve writes a file too.
        let csvData = try TestSupport.write(rows.replacingOccurrences(of: "\t", with: ","), to: "plays.csv", in: directory)
        try assertRefused(["evaluate", csvData, "--curve", csvData, "--factors", "2"], output: csvData, input: csvData, in: directory)
    }

    func testBatchCommandsRefuseToWriteOverTheModelOrTheirListFiles() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        var rows = ""
        for u in 0..<6 { for i in 0..<4 where (u + i) % 2 == 0 { rows += "u\(u)\ta\(i)\t\(u + i + 1)\n" } }
        let data = try TestSupport.write(rows, to: "plays.tsv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        let train = try TestSupport.encore(["train", data, "--output", model, "--factors", "2", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let users = try TestSupport.write("u1\nu2\n", to: "users.txt", in: directory)
        let items = try TestSupport.write("a1\n", to: "items.txt", in: directory)
        let excluded = try TestSupport.write("a0\n", to: "exclude.txt", in: directory)
        let only = try TestSupport.write("a0\na1\na2\n", to: "only.txt", in: directory)

        try assertRefused(["recommend-all", model, "--output", model], output: model, input: model, in: directory)
        try assertRefused(["recommend-all", model, "--users", users, "--output", users], output: users, input: users, in: directory)
        try assertRefused(["recommend-all", model, "--exclude", excluded, "--output", excluded], output: excluded, input: excluded, in: directory)
        try assertRefused(["recommend-all", model, "--only", only, "--output", only], output: only, input: only, in: directory)
        try assertRefused(["recommend-items", model, "--output", model], output: model, input: model, in: directory)
        try assertRefused(["recommend-items", model, "--items", items, "--output", items], output: items, input: items, in: directory)

        let recs = directory.appendingPathComponent("recs.tsv").path
        let all = try TestSupport.encore(["recommend-all", model, "--output", recs])
        XCTAssertEqual(all.status, 0, all.stderr)
        // Writing over a previous output is what --output is for.
        let again = try TestSupport.encore(["recommend-all", model, "--output", recs, "--count", "1"])
        XCTAssertEqual(again.status, 0, again.stderr)
    }
}
