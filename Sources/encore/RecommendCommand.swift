import Encore
import EncoreCLI
import Foundation

/// `encore recommend`: one listener's top-N, for a known user or from a list of plays (fold-in).
enum RecommendCommand: Command {
    static let name = "recommend"
    static let summary = "recommend items for one user of a model, or for new plays (fold-in)"
    static let usage = """
    Usage: encore recommend MODEL (--user ID | --plays FILE_OR_LIST) [--count 10] [--include-seen]
                           [--tag TAG …] [--exclude FILE] [--only FILE] [--exact | --approximate] [--json]

    Prints the listener's best items, leaving out what they already played unless --include-seen.
    --plays recommends for a listener who is not in the model, without retraining: their vector is
    solved against the model's item factors (fold-in). Give a file of item<TAB>count lines, or an
    inline list such as "289:12,292:3" (IDs or, where the data set has them, names).
    \(FilterOptions.help)
    \(IndexOptions.help)
      --tag TAG          recommend only artists tagged TAG (repeat it: artists with every tag);
                         the model needs tags (encore train --item-tags)
    --json prints one {"user", "item", "score"[, "name"]} object per line.
    """

    static func run(_ arguments: CommandLineArguments) throws {
        let userID = try arguments.value("--user")
        let plays = try arguments.value("--plays")
        let count = try arguments.int("--count", default: 10, in: 1...1_000_000)
        let includeSeen = try arguments.flag("--include-seen")
        let filters = try FilterOptions(arguments)
        let tagNames = try arguments.values("--tag")
        let json = try arguments.flag("--json")
        let indexOptions = try IndexOptions(arguments)
        let path = try arguments.positionals(["MODEL"])[0]
        guard (userID == nil) != (plays == nil) else { throw UsageError("give exactly one of --user ID and --plays FILE_OR_LIST") }
        // One listener's rows and the item side are all a one-shot recommendation reads: the rest of
        // a large model file's chunks are left unchecked (docs/model-file.md).
        let (model, index) = try indexOptions.load(path, checking: .deferringUserRows)
        let filter = try filters.filter(for: model).keepingOnly(tagged: try model.tagIndices(tagNames), in: model)
        if let userID {
            let user = try model.userIndex(userID)
            let seen = includeSeen ? nil : model.interactions
            let list = index?.recommend(model, user: user, count: count, seen: seen, filter: filter)
                ?? TopNRecommendation.recommend(model, user: user, count: count, seen: seen, filter: filter)
            ItemListPrinter.print(list, model: model, json: json, key: ("user", userID), scoreTitle: "score")
        } else if let plays {
            let history = try PlaysParser.parse(plays, model: model)
            let list = try FoldIn.recommend(plays: history, count: count, in: model, filter: filter, includePlayed: includeSeen)
            ItemListPrinter.print(list, model: model, json: json, key: ("user", "(plays)"), scoreTitle: "score")
        }
    }
}

/// Reads a new listener's plays: a file of item<TAB>count lines, or "item:count,item:count".
enum PlaysParser {
    /// A file's problems are data errors naming its line (exit 1); a list typed on the command
    /// line is a flag's value, whose malformed counts are usage errors quoting it (exit 2). An
    /// unknown item is a failed lookup either way (exit 1), as an unknown --user is.
    static func parse(_ text: String, model: TrainedModel) throws -> [Int: Float] {
        var plays: [Int: Float] = [:]
        let isFile = FileManager.default.fileExists(atPath: text)
        if isFile {
            for (number, line) in try FilterOptions.lines(text).enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                do {
                    let item = try ItemLookup.find(fields[0].trimmingCharacters(in: .whitespaces), in: model)
                    guard let count = weight(fields.count > 1 ? fields[1] : "1") else {
                        throw EncoreError.invalidArgument("play count '\(fields[1])' must be a finite number ≥ 0")
                    }
                    plays[item, default: 0] += count
                } catch let error as EncoreError {
                    throw EncoreError.invalidRow(file: text, line: number + 1, reason: error.description)
                }
            }
        } else {
            for entry in text.split(separator: ",") {
                let parts = entry.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
                guard let first = parts.first, !first.isEmpty else { continue }
                let item = try ItemLookup.find(first, in: model)
                guard let count = weight(parts.count > 1 ? parts[1] : "1") else {
                    throw UsageError("--plays: the play count of '\(first)' must be a number ≥ 0 (got '\(parts[1])')")
                }
                plays[item, default: 0] += count
            }
        }
        func refuse(_ problem: String, _ why: String) -> Error {
            isFile ? EncoreError.invalidArgument("\(text) \(problem): \(why)") : UsageError("--plays \(problem) (got '\(text)'): \(why)")
        }
        guard !plays.isEmpty else { throw refuse("holds no plays", "expected a file of item<TAB>count lines or a list like 289:12,292:3") }
        // With every count 0 the listener prefers nothing: the solved vector is zero and every score ties.
        guard plays.values.contains(where: { $0 > 0 }) else { throw refuse("has no play count above 0", "there is no taste to recommend from") }
        return plays
    }

    /// A play count, or nil when `text` is not a finite number ≥ 0.
    static func weight(_ text: String) -> Float? {
        guard let value = Float(text.trimmingCharacters(in: .whitespaces)), value.isFinite, value >= 0 else { return nil }
        return value
    }
}

/// Prints a ranked item list as a table or JSON lines; shared by the commands that list items.
enum ItemListPrinter {
    static func print(_ list: [ScoredItem], model: TrainedModel, json: Bool, key: (String, String), scoreTitle: String) {
        if json {
            for entry in list {
                var line = JSONLine()
                line.add(key.0, key.1)
                line.add("item", model.itemIDs.id(at: entry.index))
                line.add("score", entry.score)
                if let name = model.name(ofItem: entry.index) { line.add("name", name) }
                Console.out(line.text)
            }
            return
        }
        let hasNames = model.itemNames != nil
        var table = TextTable(headers: ["rank", "item"] + (hasNames ? ["name"] : []) + [scoreTitle], rightAligned: [0, hasNames ? 3 : 2])
        for (rank, entry) in list.enumerated() {
            table.add(["\(rank + 1)", model.itemIDs.id(at: entry.index)] + (hasNames ? [model.name(ofItem: entry.index) ?? ""] : []) + [String(format: "%.4f", entry.score)])
        }
        for line in table.lines { Console.out(line) }
    }
}
