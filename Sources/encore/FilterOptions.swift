import Encore
import EncoreCLI
import Foundation

/// `--exclude FILE` and `--only FILE`: item lists (one ID or name per line, the first
/// tab-separated field) that restrict what may be recommended.
struct FilterOptions {
    var excludePath: String?
    var onlyPath: String?

    static let help = """
      --exclude FILE     never recommend the items listed in FILE (one ID or name per line)
      --only FILE        recommend only items listed in FILE
    """

    init(_ arguments: CommandLineArguments) throws {
        excludePath = try arguments.value("--exclude")
        onlyPath = try arguments.value("--only")
    }

    /// The list files given, as (role, path) for `OutputPath`.
    var inputs: [(role: String, path: String)] {
        [("--exclude file", excludePath), ("--only file", onlyPath)].compactMap { role, path in path.map { (role, $0) } }
    }

    /// The filter for `model`; an unknown item in a list is an error naming the file and line.
    func filter(for model: TrainedModel) throws -> CandidateFilter {
        CandidateFilter(excluded: try excludePath.map { try Self.readItems($0, model) } ?? [], allowed: try onlyPath.map { try Self.readItems($0, model) })
    }

    /// Reads an item list file.
    static func readItems(_ path: String, _ model: TrainedModel) throws -> Set<Int> {
        var items = Set<Int>()
        for (number, line) in try lines(path).enumerated() {
            let field = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
            if field.isEmpty { continue }
            do {
                items.insert(try ItemLookup.find(field, in: model))
            } catch let error as EncoreError {
                throw EncoreError.invalidRow(file: path, line: number + 1, reason: error.description)
            }
        }
        return items
    }

    /// The lines of a text file (LF or CRLF), or an error naming it.
    static func lines(_ path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { throw EncoreError.io(path: path, reason: "no such file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw EncoreError.io(path: path, reason: "cannot be read") }
        // Split on Unicode scalars: as Characters, "\r\n" is one grapheme that is not equal to
        // "\n", so a Character split would read a whole CRLF file as a single line.
        return String(decoding: data, as: UTF8.self).unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map {
            var line = String(String.UnicodeScalarView($0))
            if line.unicodeScalars.last == "\r" { line.unicodeScalars.removeLast() }
            return line
        }
    }
}
