import Encore
import EncoreCLI

/// `encore explain`: a score split into the contributions of the listener's own plays.
enum ExplainCommand: Command {
    static let name = "explain"
    static let summary = "split a user's score for an item into the contributions of their plays"
    static let usage = """
    Usage: encore explain MODEL --user ID --item NAME_OR_ID [--top 10] [--json]

    Implicit ALS scores are exactly a weighted sum over the items the user played (Hu, Koren &
    Volinsky 2008): score = Σ_j (y_iᵀ W_u y_j)·c_uj with W_u the inverse of the user's regularised,
    confidence-weighted Gram matrix. Prints the contributions, largest first, and their sum. The
    sum is the exact solve's score; for a Cholesky-trained model that is the model's own score,
    for a CG-trained model the model's score is shown beside it. The table shows the --top
    largest and sums the rest in one line; --json prints every contribution as
    {"item", "name", "contribution"} and then one {"score", "model_score"} object.
    When the model has tags (encore train --item-tags), each played artist also shows the tags
    it shares with the explained one (JSON "tags"), and a line says which of the largest
    contributions shares tags: "because you play Slowdive — both tagged shoegaze, dream pop"
    (JSON "because", in the last object).
    """

    static func run(_ arguments: CommandLineArguments) throws {
        guard let userID = try arguments.value("--user") else { throw UsageError("--user ID is required") }
        guard let query = try arguments.value("--item") else { throw UsageError("--item NAME_OR_ID is required") }
        let top = try arguments.int("--top", default: 10, in: 1...1_000_000)
        let json = try arguments.flag("--json")
        // One listener's rows and the item side, as `recommend`: the rest is left unchecked.
        let model = try ModelFile.read(from: try arguments.positionals(["MODEL"])[0], checking: .deferringUserRows)
        let user = try model.userIndex(userID)
        let item = try ItemLookup.find(query, in: model)
        let explanation = try ScoreExplanation(user: user, item: item, in: model)
        let shared = TagWords.sharedTags(of: item, with: explanation, in: model)
        let because = TagWords.because(item, explanation: explanation, in: model)
        if json {
            for (entry, tags) in zip(explanation.contributions, shared) {
                var line = JSONLine()
                line.add("item", model.itemIDs.id(at: entry.item))
                line.add("name", model.name(ofItem: entry.item))
                line.add("contribution", entry.contribution)
                if model.itemTags != nil { line.add("tags", strings: tags) }
                Console.out(line.text)
            }
            var total = JSONLine()
            total.add("score", explanation.score)
            total.add("model_score", explanation.modelScore)
            if model.itemTags != nil { total.add("because", because) }
            Console.out(total.text)
            return
        }
        let itemLabel = model.itemIDs.id(at: item) + (model.name(ofItem: item).map { " (\($0))" } ?? "")
        Console.out("Why \(itemLabel) scores \(String(format: "%.4f", explanation.score)) for user \(userID)\(because.map { ", \($0)" } ?? ""):")
        let tagged = model.itemTags != nil
        var table = TextTable(headers: ["played item", "name", "contribution"] + (tagged ? ["shared tags"] : []), rightAligned: [2])
        for (entry, tags) in zip(explanation.contributions, shared).prefix(top) {
            table.add([model.itemIDs.id(at: entry.item), model.name(ofItem: entry.item) ?? "", String(format: "%+.4f", entry.contribution)]
                + (tagged ? [tags.joined(separator: ", ")] : []))
        }
        let rest = explanation.contributions.dropFirst(top)
        if !rest.isEmpty { table.add(["(\(rest.count) more)", "", String(format: "%+.4f", rest.reduce(0) { $0 + $1.contribution })] + (tagged ? [""] : [])) }
        table.add(["total", "", String(format: "%.4f", explanation.score)] + (tagged ? [""] : []))
        for line in table.lines { Console.out(line) }
        // Whenever the two differ as printed: `recommend` prints the stored vector's score, and a
        // listener comparing the two lists should not find a fourth digit that disagrees unexplained.
        if String(format: "%.4f", explanation.score) != String(format: "%.4f", explanation.modelScore) {
            Console.out("(the model's stored vector scores \(String(format: "%.4f", explanation.modelScore)): it was trained with a few CG steps, the split above is of the exact solve)")
        }
    }
}
