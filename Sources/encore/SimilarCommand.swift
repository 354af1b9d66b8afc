import Encore

/// `encore similar`: items like a given item, by cosine of item vectors.
enum SimilarCommand: Command {
    static let name = "similar"
    static let summary = "list the items most similar to an item (cosine of item vectors)"
    static let usage = """
    Usage: encore similar MODEL --item ID [--count 10] [--json]

    Prints the items whose factor vectors have the largest cosine with ID's, ID itself left out.
    --json prints one {"item_query", "item", "score"[, "name"]} object per line.
    """

    static func run(_ arguments: CommandLineArguments) throws {
        guard let itemID = try arguments.value("--item") else { throw UsageError("--item ID is required") }
        let count = try arguments.int("--count", default: 10, in: 1...1_000_000)
        let json = try arguments.flag("--json")
        let path = try arguments.positionals(["MODEL"])[0]
        let model = try ModelFile.read(from: path)
        let item = try model.itemIndex(itemID)
        let list = SimilarItems.similar(to: item, count: count, normalizedItems: model.normalizedItemFactors)
        if !json, let name = model.name(ofItem: item) { Console.out("Similar to \(itemID) (\(name)):") }
        ItemListPrinter.print(list, model: model, json: json, key: ("query", itemID), scoreTitle: "cosine")
    }
}
