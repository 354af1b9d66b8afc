import Encore
import Foundation

/// The data flags shared by every command that reads a ratings file (`train`, `evaluate`, …).
package struct DataOptions {
    /// The preset named by --format, or nil to detect it from the file name.
    package var format: DatasetFormat?
    /// The delimited-text layout from the flags.
    package var read = DelimitedReadOptions()
    /// The data flags as given, so a command line that reads the same file can be printed.
    package var words: [String] = []

    /// The flags' help text.
    package static let help = """
      Data options:
        --format NAME          delimited, lastfm-2k, lastfm-360k, lastfm-1k, echonest, movielens-csv,
                               movielens-dat (default: detected from the file name, else delimited)
        --delimiter D          tab, comma, semicolon, or the literal separator (default: detected)
        --header / --no-header whether the first line names the columns (default: detected)
        --user-column C        0-based index or header name of the user ID (default 0)
        --item-column C        0-based index or header name of the item ID (default 1)
        --weight-column C      index or name of the weight, or 'none' to count rows (default 2)
        --time-column C        index or name of a Unix-seconds or ISO-8601 timestamp
        --skip-invalid         skip rows with a missing field or a bad weight, and report how many
        --keep-id-whitespace   keep spaces and tabs around user and item IDs (default: trimmed, and
                               how many were is reported)
    """

    /// Takes the data flags out of `arguments`.
    package init(_ arguments: CommandLineArguments) throws {
        for name in ["--format", "--delimiter", "--user-column", "--item-column", "--weight-column", "--time-column"] {
            if let value = try arguments.peek(name) { words += [name, value] }
        }
        for name in ["--header", "--no-header", "--skip-invalid", "--keep-id-whitespace"] where arguments.has(name) { words.append(name) }
        if let name = try arguments.value("--format") {
            guard let format = DatasetFormat(rawValue: name) else {
                throw UsageError("--format must be one of \(DatasetFormat.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(name)')")
            }
            self.format = format
        }
        if let delimiter = try arguments.value("--delimiter") {
            switch delimiter {
            case "tab", "\\t": read.delimiter = .exactly("\t")
            case "comma": read.delimiter = .exactly(",")
            case "semicolon": read.delimiter = .exactly(";")
            case "": throw UsageError("--delimiter must not be empty")
            default: read.delimiter = .exactly(delimiter)
            }
        }
        let header = try arguments.flag("--header"), noHeader = try arguments.flag("--no-header")
        if header && noHeader { throw UsageError("--header and --no-header contradict each other") }
        read.header = header ? .present : noHeader ? .absent : .auto
        // A negative or empty column is a bad value (exit 2), not a header name to look for.
        func column(_ name: String) throws -> ColumnSelector? {
            guard let text = try arguments.value(name) else { return nil }
            if text.trimmingCharacters(in: .whitespaces).isEmpty || (Int(text).map { $0 < 0 } ?? false) {
                throw UsageError("\(name) must be a 0-based column index or a header name (got '\(text)')")
            }
            return ColumnSelector(parsing: text)
        }
        if let selector = try column("--user-column") { read.userColumn = selector }
        if let selector = try column("--item-column") { read.itemColumn = selector }
        if arguments.has("--weight-column"), try arguments.peek("--weight-column") == "none" {
            _ = try arguments.value("--weight-column")
            read.weightColumn = nil
        } else if let selector = try column("--weight-column") {
            read.weightColumn = selector
        }
        if let selector = try column("--time-column") { read.timestampColumn = selector }
        read.skipInvalid = try arguments.flag("--skip-invalid")
        read.keepIDWhitespace = try arguments.flag("--keep-id-whitespace")
        var layoutOnly = read
        layoutOnly.skipInvalid = false
        layoutOnly.keepIDWhitespace = false
        if layoutOnly != DelimitedReadOptions(), let format, format != .delimited {
            throw UsageError("--format \(format.rawValue) fixes the column layout; drop the column, delimiter and header flags or use --format delimited")
        }
    }

    /// The files reading `path` opens, as (role, path) for `OutputPath`: the data, and the
    /// companion names file of its format (artists.dat beside user_artists.dat, …).
    package func inputs(_ path: String) -> [(role: String, path: String)] {
        [("data file", path)] + (DatasetLoader.namesPath(forRatingsAt: path, format: format ?? DatasetFormat.detect(path: path)).map { [("names file", $0)] } ?? [])
    }

    /// Reads `path` as coordinate rows: text through the readers, a binary play log
    /// (`encore import`) from its users × items matrix, one row per summed (user, item) pair.
    package func load(_ path: String, quiet: Bool = false) throws -> Interactions {
        if PlayLogFile.isPlayLog(path: path) { return try readPlayLog(path, quiet: quiet).interactions() }
        return try readText(path, quiet: quiet)
    }

    /// Reads `path` ready for training: a binary play log straight into its arrays, text
    /// through the readers and then into both orientations, the rows let go as they are used.
    package func loadPlayLog(_ path: String, quiet: Bool = false) throws -> PlayLog {
        if PlayLogFile.isPlayLog(path: path) { return try readPlayLog(path, quiet: quiet) }
        var interactions = try readText(path, quiet: quiet)
        return PlayLog(taking: &interactions)
    }

    private func readPlayLog(_ path: String, quiet: Bool) throws -> PlayLog {
        guard words.isEmpty else {
            throw UsageError("\(path) is a binary play log: its layout is fixed, so drop the data flags (\(words.joined(separator: " ")))")
        }
        let start = now()
        let log = try PlayLogFile.read(path: path)
        if !quiet { Console.err("read the play log \(path) in \(Console.seconds(secondsSince(start)))") }
        return log
    }

    /// Reads delimited text, with a progress line on stderr for a large file (rows/s and time
    /// left) and what was skipped or trimmed afterwards.
    private func readText(_ path: String, quiet: Bool) throws -> Interactions {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let showProgress = !quiet && (size > 32 << 20 || StreamedRead.isStream(path))
        let start = now()
        let (interactions, report) = try DatasetLoader.load(path: path, format: format, options: read, progress: showProgress ? { progress in
            Console.progress(DataOptions.progressLine(path: path, progress, seconds: secondsSince(start)))
        } : nil)
        if showProgress { Console.endProgress() }
        DataOptions.printNotes(report, path: path)
        return interactions
    }

    /// "reading plays.tsv: 45% · 8.1 M rows · 2.0 M rows/s · 4 s left".
    /// A stream of unknown size: "reading -: 8.1 M rows · 2.0 M rows/s".
    package static func progressLine(path: String, _ progress: IngestProgress, seconds: Double) -> String {
        let rate = seconds > 0 ? Double(progress.rowsRead) / seconds : 0
        guard progress.totalBytes > 0 else {
            return "reading \(path): " + String(format: "%.1f M rows · %.2f M rows/s", Double(progress.rowsRead) / 1e6, rate / 1e6)
        }
        let fraction = Double(progress.bytesRead) / Double(max(1, progress.totalBytes))
        let left = fraction > 0 ? seconds * (1 - fraction) / fraction : 0
        return "reading \(path): " + String(format: "%.0f%% · %.1f M rows · %.2f M rows/s · %.0f s left",
                                             fraction * 100, Double(progress.rowsRead) / 1e6, rate / 1e6, left)
    }

    /// Tells what reading `path` changed or left out: skipped rows, trimmed IDs, with examples.
    /// Shown even with --quiet: they change what the data says.
    package static func printNotes(_ report: ReadReport, path: String) {
        if report.rowsSkipped > 0 {
            Console.err("skipped \(report.rowsSkipped) invalid row\(report.rowsSkipped == 1 ? "" : "s") of \(path), for example:")
            for example in report.skipExamples { Console.err("  \(example)") }
        }
        if report.idsTrimmed > 0 {
            Console.err("trimmed surrounding whitespace from \(report.idsTrimmed) ID\(report.idsTrimmed == 1 ? "" : "s") of \(path) (--keep-id-whitespace keeps IDs as written), for example:")
            for example in report.trimExamples { Console.err("  \(example)") }
        }
    }
}
