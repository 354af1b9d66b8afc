import Foundation
import Synchronization

/// A trained recommendation model, and everything you ask of one: a listener's top items,
/// items like an item, a radio station, why an item was recommended, and recommendations for a
/// listener the model has never seen.
///
/// Train one from plays in memory or from a file, save it, load it back. Everything is named
/// by your own IDs: listeners by user ID; items by item ID or, where the model has item names,
/// by name (case-insensitive).
///
/// A model never changes after it is made, so one instance can answer queries from many
/// threads at once. Training and the first query of each kind do real work (seconds on a large
/// data set); run them away from a UI thread.
public final class EncoreModel: Sendable {
    /// The library's model: factors, ID tables, names and each listener's plays.
    package let model: TrainedModel

    /// The file the model was loaded from and the checksum stored in it (what an index beside
    /// it is bound to); nil for a model made in memory.
    let file: (path: String, checksum: UInt64)?
    /// The approximate index opened beside it (`openingIndex`), if any.
    let index: ApproximateIndex?
    /// How many listeners' exact recommendations were asked for: from the second on, the items
    /// are ordered longest first once (`TrainedModel.normOrderedItems`) and every later question
    /// stops its scan early.
    private let exactUserQuestions = Atomic<Int>(0)

    /// Wraps a model the library has already made.
    package convenience init(_ model: TrainedModel) {
        self.init(model, file: nil, index: nil)
    }

    init(_ model: TrainedModel, file: (path: String, checksum: UInt64)?, index: ApproximateIndex?) {
        self.model = model
        self.file = file
        self.index = index
    }

    // MARK: - Training

    /// Trains a model on plays held in memory.
    ///
    /// - Parameters:
    ///   - plays: Who played what, and how much. Repeated (user, item) pairs are summed.
    ///   - itemNames: Display names by item ID, for results and for finding items by name.
    ///   - itemTags: Tags by item ID. The model keeps them, and items tagged but never played
    ///     are placed from their tags alone.
    ///   - configuration: The hyperparameters (`ALSConfiguration()` for the defaults).
    ///   - threads: How many threads to train on; nil uses every core. The model is the same for any number.
    ///   - progress: Called on the calling thread after each iteration.
    /// - Throws: `EncoreError.invalidParameter` for an empty list, a negative or non-finite
    ///   count, or a configuration that fails `ALSConfiguration.validate()`.
    public static func train(
        plays: [Play], itemNames: [String: String] = [:], itemTags: [String: [String]] = [:], configuration: ALSConfiguration = ALSConfiguration(),
        threads: Int? = nil, progress: ((TrainingProgress) -> Void)? = nil
    ) throws -> EncoreModel {
        try configuration.validate()
        guard !plays.isEmpty else { throw EncoreError.invalidParameter(name: "plays", value: "0 plays", requirement: "not be empty") }
        for (position, play) in plays.enumerated() where !(play.count.isFinite && play.count >= 0) {
            throw EncoreError.invalidParameter(name: "plays[\(position)].count", value: "\(play.count)", requirement: "be a finite number ≥ 0")
        }
        var data = try Interactions(triples: plays.map { (user: $0.userID, item: $0.itemID, weight: $0.count) })
        if !itemNames.isEmpty { data.itemNames = data.itemIDs.ids.map { itemNames[$0] ?? "" } }
        let tags = itemTags.isEmpty ? nil : try ItemTagsReader.assignments(itemTags.sorted { $0.key < $1.key }.flatMap { item, tags in
            tags.map { (item: item, tag: $0, weight: Float(1)) }
        })
        return try train(data, source: "\(plays.count) plays in memory", configuration: configuration, threads: threads, progress: progress,
                         tags: tags) { ids in ids.map { itemNames[$0] ?? "" } }
    }

    /// Trains a model on a file of plays: delimited text (user, item, count columns), one of
    /// the public data sets `DatasetFormat` names, with item names where the data set has them,
    /// or a binary play log written by `encore import` (known by its first bytes).
    ///
    /// - Parameters:
    ///   - file: A local file.
    ///   - format: The file's format; nil detects it from the file name, else reads delimited text.
    ///   - layout: Columns, delimiter and header of delimited text (detected by default).
    ///   - itemTags: A file of the items' tags: (item, tag[, weight]) delimited text, or Last.fm
    ///     2K's `user_taggedartists.dat` (tag names from `tags.dat` beside it). The model keeps
    ///     them, and items tagged but never played are placed from their tags alone.
    ///   - configuration: The hyperparameters (`ALSConfiguration()` for the defaults).
    ///   - threads: How many threads to read and train on; nil uses every core.
    ///   - progress: Called on the calling thread after each iteration.
    /// - Throws: `EncoreError.io` when a file cannot be read, `EncoreError.invalidRow` naming
    ///   the file and line of a row that cannot be used, `EncoreError.emptyInput` for a file
    ///   without rows, `EncoreError.invalidParameter` for a bad configuration.
    public static func train(
        file: URL, format: DatasetFormat? = nil, layout: DelimitedReadOptions = DelimitedReadOptions(), itemTags: URL? = nil,
        configuration: ALSConfiguration = ALSConfiguration(), threads: Int? = nil, progress: ((TrainingProgress) -> Void)? = nil
    ) throws -> EncoreModel {
        try configuration.validate()
        let path = try localPath(file)
        // A binary play log (`encore import`) is read straight into its arrays; text is built
        // into the same two matrices, its rows let go as they are used.
        var log: PlayLog
        if PlayLogFile.isPlayLog(path: path) {
            log = try PlayLogFile.read(path: path)
        } else {
            var (data, _) = try DatasetLoader.load(path: path, format: format, options: layout)
            log = PlayLog(taking: &data)
        }
        let tags = try itemTags.map { try ItemTagsReader.read(path: try localPath($0)).0 }
        let format = format ?? DatasetFormat.detect(path: path)
        let (userItems, itemUsers) = log.takeMatrices()
        return try train(log.idTables, matrices: (consume userItems, consume itemUsers), source: path, configuration: configuration, threads: threads,
                         progress: progress, tags: tags) { ids in
            try DatasetLoader.itemNames(path: path, format: format, itemIDs: ids, keepIDWhitespace: layout.keepIDWhitespace)
        }
    }

    private static func train(
        _ data: Interactions, matrices: consuming (SparseMatrix, SparseMatrix)? = nil, source: String, configuration: ALSConfiguration, threads: Int?,
        progress: ((TrainingProgress) -> Void)?, tags: TagAssignments? = nil, names: ([String]) throws -> [String]? = { _ in nil }
    ) throws -> EncoreModel {
        if let threads, threads < 1 { throw EncoreError.invalidParameter(name: "threads", value: "\(threads)", requirement: "be at least 1") }
        let (userItems, itemUsers) = (consume matrices).map { ($0.0, $0.1) } ?? (nil, nil)
        let model = try TrainedModel.train(
            data, matrix: consume userItems, transpose: consume itemUsers, configuration: configuration, threads: threads ?? Parallel.defaultThreadCount, source: source,
            progress: progress.map { progress in
                { report in progress(TrainingProgress(iteration: report.iteration, iterations: configuration.iterations, loss: report.loss, seconds: report.seconds)) }
            }
        )
        return EncoreModel(try tags.map { try model.addingTags($0, names: names).0 } ?? model)
    }

    // MARK: - Saving and loading

    /// Reads a model file written by `save(to:)` or by `encore train`.
    ///
    /// - Throws: `EncoreError.io` when the file cannot be read; `EncoreError.invalidModelFile`
    ///   when it is truncated, corrupted, of another format version, or not a model file.
    public static func load(from file: URL) throws -> EncoreModel {
        let path = try localPath(file)
        let (model, checksum) = try ModelFile.readWithChecksum(from: path)
        return EncoreModel(model, file: (path, checksum), index: nil)
    }

    /// Writes the model to a file, atomically: a failure leaves any file already there intact.
    ///
    /// - Throws: `EncoreError.io` when the file cannot be written.
    public func save(to file: URL) throws {
        try ModelFile.write(model, to: try EncoreModel.localPath(file))
    }

    static func localPath(_ url: URL) throws -> String {
        guard url.isFileURL else { throw EncoreError.io(path: url.absoluteString, reason: "not a local file (only file URLs can be read or written)") }
        return url.path
    }

    // MARK: - What the model knows

    /// The hyperparameters it was trained with.
    public var configuration: ALSConfiguration { model.configuration }
    /// How it was trained: the loss after each iteration, the time taken, the data's source.
    public var summary: TrainingSummary { model.summary }
    /// Every listener's ID, in the model's order.
    public var userIDs: [String] { model.userIDs.ids }
    /// Every item's ID, in the model's order.
    public var itemIDs: [String] { model.itemIDs.ids }

    /// The display name of the item with this ID; nil when the item is unknown or has no name.
    public func name(ofItem itemID: String) -> String? {
        model.itemIDs.index(of: itemID).flatMap(model.name(ofItem:))
    }

    // MARK: - Queries

    /// A listener's best items, best first, leaving out what they already played.
    ///
    /// - Parameters:
    ///   - userID: A listener the model was trained on.
    ///   - count: How many items, at most.
    ///   - includingPlayed: Keep items the listener already played.
    ///   - excluding: Items never to recommend, by ID or name.
    ///   - candidates: When given, the only items that may be recommended, by ID or name.
    ///   - tags: When given, only items carrying every one of these tags (case-insensitive).
    ///   - retrieval: Exactly, or from the approximate index opened with `openingIndex` (see
    ///     `Retrieval`); without an open index, `.automatic` is exact.
    /// - Throws: `EncoreError.unknownUser` for a user ID the model does not know;
    ///   `EncoreError.itemNotFound` or `.ambiguousItem` for an item in the lists;
    ///   `EncoreError.invalidParameter` for a count below 1; `EncoreError.invalidArgument` for a
    ///   tag the model does not have, or `.approximate` without an open index.
    public func recommendations(
        for userID: String, count: Int = 10, includingPlayed: Bool = false, excluding: [String] = [], among candidates: [String]? = nil,
        tagged tags: [String] = [], retrieval: Retrieval = .automatic
    ) throws -> [Recommendation] {
        try check(count: count)
        let user = try model.userIndex(userID)
        let filter = try self.filter(excluding: excluding, among: candidates).keepingOnly(tagged: try model.tagIndices(tags), in: model)
        let seen = includingPlayed ? nil : model.interactions
        if let list = try index(for: retrieval)?.recommend(model, user: user, count: count, seen: seen, filter: filter) { return ranked(list) }
        // A model asked once (a script's one question) scans every item; asked again, it orders
        // its items longest first — once: 22–31 ms at 292,385 items, some six scans — and from
        // then on a question stops as soon as no further item can enter the list (0.02 ms
        // against a scan's 3.3–4.6 ms at that size; the same lists, bit for bit).
        let (askedBefore, _) = exactUserQuestions.wrappingAdd(1, ordering: .relaxed)
        guard askedBefore != 0 else { return ranked(TopNRecommendation.recommend(model, user: user, count: count, seen: seen, filter: filter)) }
        let scorer = BatchRecommender(
            users: model.factors.userFactors, items: model.factors.itemFactors, seen: seen,
            candidates: filter.isEverything ? nil : filter.mask(itemCount: model.itemCount), ordered: model.normOrderedItems, threads: 1)
        var list: [ScoredItem] = []
        try scorer.recommend(count: count, userList: [user]) { _, best in list = best }
        return ranked(list)
    }

    /// Recommendations for a listener the model was not trained on, from their plays, without
    /// retraining ("fold-in"): their taste is solved against the model's items exactly as
    /// training would solve it.
    ///
    /// - Parameters:
    ///   - plays: Play counts by item ID or name, e.g. `["Metallica": 300, "Slayer": 40]`.
    ///   - count: How many items, at most.
    ///   - includingPlayed: Keep the items in `plays`.
    ///   - excluding: Items never to recommend, by ID or name.
    ///   - candidates: When given, the only items that may be recommended, by ID or name.
    /// - Throws: `EncoreError.itemNotFound` or `.ambiguousItem` for an item the model cannot
    ///   find; `EncoreError.invalidParameter` for no count above 0, a negative or non-finite
    ///   count, or a count below 1.
    public func recommendations(
        forPlays plays: [String: Float], count: Int = 10, includingPlayed: Bool = false, excluding: [String] = [], among candidates: [String]? = nil
    ) throws -> [Recommendation] {
        try check(count: count)
        var history: [Int: Float] = [:]
        for (query, weight) in plays.sorted(by: { $0.key < $1.key }) {
            guard weight.isFinite, weight >= 0 else {
                throw EncoreError.invalidParameter(name: "plays[\"\(query)\"]", value: "\(weight)", requirement: "be a finite number ≥ 0")
            }
            history[try ItemLookup.find(query, in: model), default: 0] += weight
        }
        // With no count above 0 the listener prefers nothing: every score would be 0.
        guard history.values.contains(where: { $0 > 0 }) else {
            throw EncoreError.invalidParameter(name: "plays", value: plays.isEmpty ? "no plays" : "no count above 0", requirement: "hold a play count above 0")
        }
        let filter = try self.filter(excluding: excluding, among: candidates)
        return ranked(try FoldIn.recommend(plays: history, count: count, in: model, filter: filter, includePlayed: includingPlayed))
    }

    /// The items most like an item ("artists like this one"), most similar first, by the cosine
    /// of their vectors; the item itself is left out.
    ///
    /// - Parameters:
    ///   - item: An item ID or name.
    ///   - count: How many items, at most.
    ///   - excluding: Items to leave out, by ID or name.
    ///   - candidates: When given, the only items that may be listed, by ID or name.
    ///   - minimumListeners: Items with fewer listeners are left out (0 keeps all): an item
    ///     with one listener sits at cosine 1 to everything only that listener plays.
    ///   - retrieval: Exactly, or from the approximate index opened with `openingIndex` (see
    ///     `Retrieval`); without an open index, `.automatic` is exact.
    /// - Throws: `EncoreError.itemNotFound` (with the closest names) or `.ambiguousItem`;
    ///   `EncoreError.invalidParameter` for a count below 1 or a negative minimum;
    ///   `EncoreError.invalidArgument` for `.approximate` without an open index.
    public func similarItems(
        to item: String, count: Int = 10, excluding: [String] = [], among candidates: [String]? = nil,
        minimumListeners: Int = EncoreModel.defaultMinimumListeners, retrieval: Retrieval = .automatic
    ) throws -> [Recommendation] {
        try check(count: count)
        try check(minimumListeners: minimumListeners)
        let item = try ItemLookup.find(item, in: model)
        let filter = try self.filter(excluding: excluding, among: candidates)
        if let list = try index(for: retrieval)?.similar(model, to: item, count: count, minimumListeners: minimumListeners, filter: filter) {
            return ranked(list)
        }
        return ranked(SimilarItems.similar(to: item, count: count, in: model, minimumListeners: minimumListeners, filter: filter))
    }

    /// How many listeners an item needs by default to appear in similar items and radio (5: on
    /// Last.fm 2K, neighbours with fewer share markedly fewer tags with their query; docs/music.md).
    public static let defaultMinimumListeners = SimilarItems.defaultMinimumListeners

    func check(minimumListeners: Int) throws {
        guard minimumListeners >= 0 else {
            throw EncoreError.invalidParameter(name: "minimumListeners", value: "\(minimumListeners)", requirement: "be 0 or more")
        }
    }

    /// A radio station: from seed items, it opens close to them and then explores their
    /// neighbourhood rather than repeating the nearest few, never playing a seed back; from tags
    /// (a tag station), it opens with the artists carrying them and moves on to their nearest
    /// neighbours, as varied. No item repeats.
    ///
    /// - Parameters:
    ///   - seeds: Items to start from, by ID or name; or none, and `tags`.
    ///   - tags: Tags to start from (case-insensitive), for a model trained with tags; or none, and `seeds`.
    ///   - length: How many picks.
    ///   - userID: When given, a listener the station leans toward (it stays near the seeds).
    ///   - diversity: From 0 (the nearest items, in order) to 1 (as varied as the neighbourhood allows).
    ///   - randomSeed: Stations vary a little with it; the same seed gives the same station.
    ///   - excluding: Items never to play, by ID or name.
    ///   - candidates: When given, the only items that may be played, by ID or name.
    ///   - minimumListeners: Items with fewer listeners are never played (0 plays any).
    /// - Throws: `EncoreError.itemNotFound`, `.ambiguousItem` or `.unknownUser`;
    ///   `EncoreError.invalidParameter` for neither seeds nor tags (or both), a length below 1 or
    ///   above what the model can fill, a diversity outside 0...1 or a negative minimum;
    ///   `EncoreError.invalidArgument` for a tag the model does not have.
    public func radio(
        from seeds: [String] = [], tagged tags: [String] = [], length: Int = 20, for userID: String? = nil, diversity: Float = 0.3,
        randomSeed: UInt64 = 0, excluding: [String] = [], among candidates: [String]? = nil,
        minimumListeners: Int = EncoreModel.defaultMinimumListeners
    ) throws -> [StationPick] {
        guard seeds.isEmpty != tags.isEmpty else {
            throw EncoreError.invalidParameter(
                name: "seeds", value: "\(seeds.count) seeds and \(tags.count) tags", requirement: "name at least one item, or be empty and tags name at least one tag"
            )
        }
        let options = try radioOptions(length: length, diversity: diversity, randomSeed: randomSeed, minimumListeners: minimumListeners)
        let seedItems = try seeds.map { try ItemLookup.find($0, in: model) }
        let user = try userID.map { try model.userIndex($0) }
        let filter = try filter(excluding: excluding, among: candidates)
        let picks = tags.isEmpty ? try ArtistRadio.station(seeds: seedItems, user: user, options: options, in: model, filter: filter)
            : try TagRadio.station(tags: try model.tagIndices(tags), user: user, options: options, in: model, filter: filter)
        return picks.map { StationPick(itemID: model.itemIDs.id(at: $0.item), name: model.name(ofItem: $0.item), score: $0.score, reason: $0.reason) }
    }

    /// A station's options, checked: a length below 1, a diversity outside 0...1 or a negative
    /// minimum is an `invalidParameter` error.
    func radioOptions(length: Int, diversity: Float, randomSeed: UInt64, minimumListeners: Int) throws -> RadioOptions {
        try check(minimumListeners: minimumListeners)
        guard length >= 1 else { throw EncoreError.invalidParameter(name: "length", value: "\(length)", requirement: "be at least 1") }
        guard (0...1).contains(diversity) else { throw EncoreError.invalidParameter(name: "diversity", value: "\(diversity)", requirement: "be between 0 and 1") }
        var options = RadioOptions()
        options.length = length
        options.diversity = diversity
        options.randomSeed = randomSeed
        options.minimumListeners = minimumListeners
        return options
    }

    /// Why a listener gets an item: its score split exactly into the shares of the items the
    /// listener played (Hu, Koren & Volinsky 2008, §5).
    ///
    /// - Parameters:
    ///   - item: The item to explain, by ID or name.
    ///   - userID: A listener the model was trained on.
    /// - Throws: `EncoreError.unknownUser`, `.itemNotFound` or `.ambiguousItem`.
    public func explanation(of item: String, for userID: String) throws -> Explanation {
        let user = try model.userIndex(userID)
        let index = try ItemLookup.find(item, in: model)
        let explained = try ScoreExplanation(user: user, item: index, in: model)
        let shared = TagWords.sharedTags(of: index, with: explained, in: model)
        return Explanation(
            userID: userID, itemID: model.itemIDs.id(at: index), name: model.name(ofItem: index),
            contributions: zip(explained.contributions, shared).map {
                Explanation.Contribution(itemID: model.itemIDs.id(at: $0.item), name: model.name(ofItem: $0.item), contribution: $0.contribution, sharedTags: $1)
            },
            score: explained.score, modelScore: explained.modelScore, because: TagWords.because(index, explanation: explained, in: model)
        )
    }

    // MARK: - Helpers

    func check(count: Int) throws {
        guard count >= 1 else { throw EncoreError.invalidParameter(name: "count", value: "\(count)", requirement: "be at least 1") }
    }

    func filter(excluding: [String], among candidates: [String]?) throws -> CandidateFilter {
        CandidateFilter(
            excluded: Set(try excluding.map { try ItemLookup.find($0, in: model) }),
            allowed: try candidates.map { Set(try $0.map { try ItemLookup.find($0, in: model) }) }
        )
    }

    func ranked(_ list: [ScoredItem]) -> [Recommendation] {
        list.map { Recommendation(itemID: model.itemIDs.id(at: $0.index), name: model.name(ofItem: $0.index), score: $0.score) }
    }
}
