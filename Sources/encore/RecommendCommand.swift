import Encore

/// `encore recommend`: one listener's top-N.
enum RecommendCommand: Command {
    static let name = "recommend"
    static let summary = "recommend items for one user of a model"
    static let usage = """
    Usage: encore recommend MODEL --user ID [--count 10] [--include-seen] [--json]

    Prints the user's best items, leaving out what they already played unless --include-seen.
    --json prints one {"user", "item", "score"[, "name"]} object per line.
    """

    static func run(_ arguments: CommandLineArguments) throws {
        guard let userID = try arguments.value("--user") else { throw UsageError("--user ID is required") }
        let count = try arguments.int("--count", default: 10, in: 1...1_000_000)
        let includeSeen = try arguments.flag("--include-seen")
        let json = try arguments.flag("--json")
        let path = try arguments.positionals(["MODEL"])[0]
        let model = try ModelFile.read(from: path)
        let user = try model.userIndex(userID)
        let list = TopNRecommendation.recommend(model, user: user, count: count, seen: includeSeen ? nil : model.interactions)
        ItemListPrinter.print(list, model: model, json: json, key: ("user", userID), scoreTitle: "score")
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
