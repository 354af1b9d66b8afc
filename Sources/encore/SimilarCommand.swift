import Encore
import EncoreCLI

/// `encore similar`: items like a given item, by cosine of item vectors.
enum SimilarCommand: Command {
    static let name = "similar"
    static let summary = "list the items most similar to an item, by ID or name (cosine of item vectors)"
    static let usage = """
    Usage: encore similar MODEL --item NAME_OR_ID [--count 10] [--min-listeners 5] [--exclude FILE] [--only FILE]
                          [--exact | --approximate] [--json]

    Prints the items whose factor vectors have the largest cosine with the given item's, the item
    itself left out, and artists with fewer than --min-listeners listeners left out (the output
    says so; with --json, on stderr). The item can be an ID or, where the data set has names, a
    name (case-insensitive); an unknown name lists the closest names, an ambiguous one its
    matches. An item with fewer listeners than the minimum is answered with a warning.
    \(ListenerOptions.help)
    \(FilterOptions.help)
    \(IndexOptions.help)
    --json prints one {"query", "item", "score"[, "name"]} object per line.
    """

    static func run(_ arguments: CommandLineArguments) throws {
        guard let query = try arguments.value("--item") else { throw UsageError("--item NAME_OR_ID is required") }
        let count = try arguments.int("--count", default: 10, in: 1...1_000_000)
        let listeners = try ListenerOptions(arguments)
        let filters = try FilterOptions(arguments)
        let json = try arguments.flag("--json")
        let indexOptions = try IndexOptions(arguments)
        let path = try arguments.positionals(["MODEL"])[0]
        // Similar items count every item's listeners, so only the user factors are left unchecked.
        let (model, index) = try indexOptions.load(path, checking: .deferringUserFactors)
        let item = try ItemLookup.find(query, in: model)
        let filter = try filters.filter(for: model)
        let list = index?.similar(model, to: item, count: count, minimumListeners: listeners.minimum, filter: filter)
            ?? SimilarItems.similar(to: item, count: count, in: model, minimumListeners: listeners.minimum, filter: filter)
        let itemID = model.itemIDs.id(at: item)
        for warning in listeners.warnings(for: [item], in: model) { Console.err(warning) }
        if json {
            if let note = listeners.note { Console.err(note) }
        } else {
            Console.out("Similar to \(itemID)\(model.name(ofItem: item).map { " (\($0))" } ?? "")\(listeners.note.map { ", \($0)" } ?? ""):")
        }
        ItemListPrinter.print(list, model: model, json: json, key: ("query", itemID), scoreTitle: "cosine")
    }
}
