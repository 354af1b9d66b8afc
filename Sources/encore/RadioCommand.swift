import Encore
import EncoreCLI

/// `encore radio`: an artist station from one or more seeds.
enum RadioCommand: Command {
    static let name = "radio"
    static let summary = "make an artist radio station from seed artists or tags (MMR on item vectors)"
    static let usage = """
    Usage: encore radio MODEL (--seed ARTIST [--seed ARTIST …] | --tag TAG [--tag TAG …]) [--user ID] [--length 50]
                       [--diversity 0.3] [--seed-random N] [--min-listeners 5] [--exclude FILE]
                       [--only FILE] [--exact | --approximate] [--json]

    Builds an ordered station that opens close to the seed artists (IDs or names) and explores
    their neighbourhood: maximal marginal relevance over the seeds' nearest artists, each pick
    trading relevance (cosine to the seeds' centroid) against its largest cosine to earlier picks
    (--diversity, 0 to 1). --user leans the ranking toward that listener's taste while keeping the
    candidates in the seeds' neighbourhood. Never repeats an artist; the seeds are not played
    back. The same --seed-random gives the same station. Each pick says which seed (or artist the
    listener plays) it is near. Artists with fewer than --min-listeners listeners are never
    played (the output says so; with --json, on stderr), and a seed with fewer gets a warning.
    --tag starts a tag station instead (the model needs tags: encore train --item-tags): its
    centre is the tags' artists, weighted by how often each was given the tag; it plays the
    tagged artists first and their nearest neighbours after, as varied as artist radio.
    With tags, each reason names the tags a pick shares with the artist it is near.
    \(ListenerOptions.help)
    \(FilterOptions.help)
    \(IndexOptions.help)
    --json prints one {"position", "item", "name", "score", "reason"} object per line.
    """

    static func run(_ arguments: CommandLineArguments) throws {
        let seedQueries = try arguments.values("--seed")
        let tagNames = try arguments.values("--tag")
        guard seedQueries.isEmpty != tagNames.isEmpty else { throw UsageError("give at least one --seed ARTIST or at least one --tag TAG, not both") }
        let userID = try arguments.value("--user")
        var options = RadioOptions()
        options.length = try arguments.int("--length", default: 50, in: 1...100_000)
        options.diversity = try arguments.float("--diversity", default: options.diversity, in: .from(0, to: 1))
        if let seed = try arguments.value("--seed-random") {
            guard let value = UInt64(seed) else { throw UsageError("--seed-random must be a whole number ≥ 0 (got '\(seed)')") }
            options.randomSeed = value
        }
        let listeners = try ListenerOptions(arguments)
        options.minimumListeners = listeners.minimum
        let filters = try FilterOptions(arguments)
        let json = try arguments.flag("--json")
        let indexOptions = try IndexOptions(arguments)
        // Radio counts every item's listeners: only the user factors are left unchecked (a --user's row is checked when it is looked up).
        let (model, index) = try indexOptions.load(try arguments.positionals(["MODEL"])[0], checking: .deferringUserFactors)
        let seeds = try seedQueries.map { try ItemLookup.find($0, in: model) }
        let tags = try model.tagIndices(tagNames)
        let user = try userID.map { try model.userIndex($0) }
        let filter = try filters.filter(for: model)
        let picks = tags.isEmpty ? try ArtistRadio.station(seeds: seeds, user: user, options: options, in: model, filter: filter, index: index)
            : try TagRadio.station(tags: tags, user: user, options: options, in: model, filter: filter)
        for warning in listeners.warnings(for: seeds, in: model) { Console.err(warning) }
        if json, let note = listeners.note { Console.err(note) }
        if json {
            for pick in picks { Console.out(pick.json(in: model).text) }
            return
        }
        let label = { (item: Int) in model.name(ofItem: item) ?? model.itemIDs.id(at: item) }
        let from = tags.isEmpty ? seeds.map(label) : tags.map { "tag " + model.itemTags!.tagNames[$0] }
        Console.out("Radio from \(from.joined(separator: ", "))\(userID.map { " for listener \($0)" } ?? "")\(listeners.note.map { ", \($0)" } ?? ""):")
        var table = TextTable(headers: ["#", "item", "name", "score", "why"], rightAligned: [0, 3])
        for pick in picks {
            table.add(["\(pick.position)", model.itemIDs.id(at: pick.item), model.name(ofItem: pick.item) ?? "", String(format: "%.3f", pick.score), pick.reason])
        }
        for line in table.lines { Console.out(line) }
    }
}
