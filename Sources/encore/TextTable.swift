/// A plain-text table with aligned columns, for people reading a terminal. Widths count
/// characters (grapheme clusters) — "Beyoncé" is 7 however its "é" is encoded, "坂本龍一" is 4 —
/// never bytes.
struct TextTable {
    let headers: [String]
    private var rows: [[String]] = []
    /// Which columns are right-aligned (numbers).
    let rightAligned: Set<Int>

    init(headers: [String], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    /// The table's lines.
    var lines: [String] {
        var widths = headers.map(\.count)
        for row in rows { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        return TextTable.head(headers, widths: widths, rightAligned: rightAligned) + rows.map { TextTable.line($0, widths: widths, rightAligned: rightAligned) }
    }

    /// The header and the rule under it, for a table printed a row at a time (`tune` prints each
    /// trial as it ends), whose `widths` were settled before the first row.
    static func head(_ headers: [String], widths: [Int], rightAligned: Set<Int>) -> [String] {
        [line(headers, widths: widths, rightAligned: rightAligned), line(widths.map { String(repeating: "-", count: $0) }, widths: widths, rightAligned: rightAligned)]
    }

    /// One row padded to `widths`, columns two spaces apart.
    static func line(_ cells: [String], widths: [Int], rightAligned: Set<Int>) -> String {
        cells.enumerated().map { column, cell in
            let padding = String(repeating: " ", count: max(0, widths[column] - cell.count))
            return rightAligned.contains(column) ? padding + cell : cell + padding
        }.joined(separator: "  ").trimmingTrailingSpaces()
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
