import Encore
import EncoreCLI

/// `encore recommend-items`: the listeners most likely to enjoy each item (Spark's recommendForAllItems).
enum RecommendItemsCommand: Command {
    static let name = "recommend-items"
    static let summary = "write the top-N listeners for every item as item<TAB>user<TAB>score"
    static let usage = """
    Usage: encore recommend-items MODEL [--count 10] [--items FILE] [--include-seen] [--output FILE] [--threads N] [--json]

    For each item (or each item listed in --items FILE, one ID or name per line), the listeners
    whose vectors score it highest — Spark's recommendForAllItems — as item<TAB>user<TAB>score
    lines, best first. Listeners who already played the item are left out unless --include-seen.
    With --output the file is written atomically; otherwise to stdout. --json writes one
    {"item", "user", "score"[, "name"]} object per line instead (name: the item's, where known).
    """

    static func run(_ arguments: CommandLineArguments) throws {
        let count = try arguments.int("--count", default: 10, in: 1...1_000_000)
        let itemsPath = try arguments.value("--items")
        let includeSeen = try arguments.flag("--include-seen")
        let output = try arguments.value("--output")
        let json = try arguments.flag("--json")
        let threads = try arguments.int("--threads", default: Parallel.defaultThreadCount, in: 1...1024)
        let path = try arguments.positionals(["MODEL"])[0]
        if let output { try OutputPath.refuseOverwritingInputs(output, inputs: [("model", path)] + (itemsPath.map { [("--items file", $0)] } ?? [])) }
        let model = try ModelFile.read(from: path)
        let itemList = try itemsPath.map { path -> [Int] in
            var items: [Int] = []
            for (number, line) in try FilterOptions.lines(path).enumerated() {
                let field = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
                if field.isEmpty { continue }
                do { items.append(try ItemLookup.find(field, in: model)) } catch let error as EncoreError {
                    throw EncoreError.invalidRow(file: path, line: number + 1, reason: error.description)
                }
            }
            return items
        }
        // The same batch machinery with the roles swapped: items ask, users answer.
        let recommender = BatchRecommender(users: model.factors.itemFactors, items: model.factors.userFactors,
                                           seen: includeSeen ? nil : model.interactions.transposed(threads: threads), threads: threads)
        try BulkTextOutput.write(to: output) { out in
            try recommender.recommend(count: count, userList: itemList) { item, list in
                let itemID = model.itemIDs.id(at: item)
                for entry in list {
                    if json {
                        var line = JSONLine()
                        line.add("item", itemID)
                        line.add("user", model.userIDs.id(at: entry.index))
                        line.add("score", entry.score)
                        if let name = model.name(ofItem: item) { line.add("name", name) }
                        out.append(line.text + "\n")
                    } else {
                        out.append("\(itemID)\t\(model.userIDs.id(at: entry.index))\t\(entry.score)\n")
                    }
                }
                try out.endRecord()
            }
        }
    }
}
