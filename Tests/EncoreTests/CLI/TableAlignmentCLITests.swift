import XCTest
@testable import Encore

/// Every table the CLI prints keeps its columns straight: a right-aligned column's cells end at
/// the same character position on every line, a left-aligned one's start at the same position.
/// Positions count characters as a reader sees them (a name with "é" written as e + a combining
/// accent, or in CJK letters, is as many columns as it has characters), not bytes.
final class TableAlignmentCLITests: XCTestCase {
    /// The cells of a table line — separated by two or more spaces — with their start and end
    /// character offsets.
    func cells(_ line: Substring) -> [(text: String, start: Int, end: Int)] {
        let characters = Array(line)
        var cells: [(String, Int, Int)] = []
        var position = 0
        while position < characters.count {
            while position < characters.count && characters[position] == " " { position += 1 }
            guard position < characters.count else { break }
            let start = position
            while position < characters.count && !(characters[position] == " " && (position + 1 == characters.count || characters[position + 1] == " ")) { position += 1 }
            cells.append((String(characters[start..<position]), start, position))
        }
        return cells
    }

    /// Checks `lines` column by column; `right` holds the right-aligned columns.
    func assertAligned(_ lines: [Substring], columns: Int, right: Set<Int>, file: StaticString = #filePath, line: UInt = #line) {
        let parsed = lines.map(cells)
        XCTAssertTrue(parsed.allSatisfy { $0.count == columns }, "every line has \(columns) cells:\n" + lines.joined(separator: "\n"), file: file, line: line)
        guard parsed.allSatisfy({ $0.count == columns }) else { return }
        for column in 0..<columns {
            let edges = parsed.map { right.contains(column) ? $0[column].end : $0[column].start }
            XCTAssertEqual(Set(edges).count, 1, "column \(column) (\(parsed[0][column].text)) is not aligned:\n" + lines.joined(separator: "\n"), file: file, line: line)
        }
    }

    func testTuneTableStaysAlignedWhateverTheValuesWidths() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        var rows = ""
        for u in 0..<40 { for i in 0..<12 where (u + i) % 3 != 0 { rows += "u\(u)\ta\(i)\t\(1 + (u * i) % 9)\n" } }
        let data = try TestSupport.write(rows, to: "plays.tsv", in: directory)
        // Alphas whose %.4g forms are 6, 4 and 9 characters wide, wider and narrower than "alpha".
        let run = try TestSupport.encore(["tune", data, "--grid-alpha", "0.1234,12.5,0.000012345", "--grid-regularization", "0.05,250",
                                          "--grid-factors", "2,128", "--iterations", "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let table = run.stdout.split(separator: "\n").prefix { !$0.isEmpty && !$0.hasPrefix("best on") }
        XCTAssertEqual(table.count, 2 + 12, run.stdout)
        XCTAssertTrue(table[table.startIndex + 1].allSatisfy { $0 == "-" || $0 == " " }, "a rule under the header: \(run.stdout)")
        assertAligned(Array(table), columns: 7, right: [0, 1, 2, 3, 5, 6])
    }

    func testItemTablesStayAlignedWithNonASCIINames() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let names = ["Björk", "Sigur Rós", "Beyonce\u{301}", "坂本龍一", "Đorđe Balašević", "Mötley Crüe", "ABBA", "Ke$ha", "Röyksopp", "P!nk", "Мумий Тролль", "Ólafur Arnalds"]
        var plays = ""
        for u in 0..<60 { for i in names.indices where (u + i) % 3 != 1 { plays += "\(u)\t\(i + 1)\t\(1 + (u * i) % 11)\n" } }
        let data = try TestSupport.write(plays, to: "user_artists.dat", in: directory)
        try TestSupport.write("id\tname\turl\n" + names.enumerated().map { "\($0.offset + 1)\t\($0.element)\thttp://x" }.joined(separator: "\n") + "\n", to: "artists.dat", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        XCTAssertEqual(try TestSupport.encore(["train", data, "--output", model, "--factors", "4", "--quiet"]).status, 0)

        let similar = try TestSupport.encore(["similar", model, "--item", "björk", "--count", "11"])
        XCTAssertEqual(similar.status, 0, similar.stderr)
        assertAligned(Array(similar.stdout.split(separator: "\n").dropFirst()), columns: 4, right: [0, 3])
        let recommend = try TestSupport.encore(["recommend", model, "--user", "1", "--count", "12", "--include-seen"])
        assertAligned(recommend.stdout.split(separator: "\n"), columns: 4, right: [0, 3])
        let radio = try TestSupport.encore(["radio", model, "--seed", "坂本龍一", "--length", "8"])
        XCTAssertEqual(radio.status, 0, radio.stderr)
        assertAligned(Array(radio.stdout.split(separator: "\n").dropFirst()), columns: 5, right: [0, 3])
        let users = try TestSupport.encore(["similar-users", model, "--user", "1", "--count", "12"])
        assertAligned(users.stdout.split(separator: "\n"), columns: 4, right: [0, 2, 3])
    }

    func testEvaluateTableIsAligned() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        var rows = ""
        for u in 0..<40 { for i in 0..<12 where (u + i) % 3 != 0 { rows += "u\(u)\ta\(i)\t\(1 + (u * i) % 9)\n" } }
        let data = try TestSupport.write(rows, to: "plays.tsv", in: directory)
        let run = try TestSupport.encore(["evaluate", data, "--compare", "--iterations", "2", "--factors", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        assertAligned(run.stdout.split(separator: "\n"), columns: 9, right: Set(1...8))
    }
}
