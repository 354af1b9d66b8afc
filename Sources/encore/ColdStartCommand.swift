import Encore
import EncoreCLI
import Foundation

/// `encore evaluate --cold-start-items`: how well artists nobody has played are placed from
/// their tags (`ColdStartEvaluation`).
enum ColdStartCommand {
    static func run(_ arguments: CommandLineArguments) throws {
        let tagOption = try ItemTagsOption(arguments)
        let json = try arguments.flag("--json")
        let regularization = Double(try arguments.float("--tag-regularization", default: Float(TagMap.defaultRegularization), in: .above(0)))
        let data = try DataOptions(arguments)
        let model = try ModelOptions(arguments)
        let file = try arguments.positionals(["FILE"])[0]
        guard tagOption.path != nil else { throw UsageError("--cold-start-items needs --item-tags FILE") }
        let plays = try data.load(file)
        guard let tags = try tagOption.load() else { return }
        let start = now()
        // Where the file says who gave each tag, the placement is also measured without the
        // tags the artists' own listeners gave (see ColdStartEvaluation).
        let preset = (tagOption.path! as NSString).lastPathComponent == ItemTagsReader.lastfm2kFileName
        let others = preset ? try ItemTagsReader.readLeavingOutListenersTags(path: tagOption.path!, plays: plays) : nil
        let result = try ColdStartEvaluation(plays: plays, tags: tags, otherListenersTags: others, configuration: model.configuration,
                                             seed: model.configuration.seed, threads: model.threads, regularization: regularization)
        let seconds = secondsSince(start)
        if json {
            for row in result.rows {
                var line = JSONLine()
                line.add("method", row.method)
                line.add("auc", row.auc)
                line.add("recall_at_\(ColdStartEvaluation.cutoff)", row.recall)
                line.add("held_out_items", result.heldOutItems)
                line.add("users", result.users)
                Console.out(line.text)
            }
            return
        }
        Console.out("held out \(result.heldOutItems) of \(result.taggedItems) tagged artists with plays (10%) with all their plays; "
            + "\(result.users) listeners of them scored, each ranking all \(result.heldOutItems)"
            + (result.unplaceableItems > 0 ? " (\(result.unplaceableItems) with no tag the map knows tie at 0)" : "") + ":")
        var table = TextTable(headers: ["method", "AUC", "recall@\(ColdStartEvaluation.cutoff)"], rightAligned: [1, 2])
        for row in result.rows { table.add([row.method, String(format: "%.4f", row.auc), String(format: "%.4f", row.recall)]) }
        for line in table.lines { Console.out(line) }
        Console.err("done in \(Console.seconds(seconds))")
    }
}
