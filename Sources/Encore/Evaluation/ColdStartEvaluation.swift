import Foundation

/// The honest test of placing new artists from their tags: hold out a share of the tagged
/// artists that have plays, with all their plays; train on the rest; place the held-out artists
/// from their tags alone (`TagMap`); and ask how each listener who played some of them ranks
/// them among all the held-out artists — against ranking them by their tags' popularity and at
/// random.
package struct ColdStartEvaluation: Sendable {
    /// One method's scores, averaged over the listeners of held-out artists.
    package struct Row: Sendable, Equatable {
        /// What ranked the held-out artists.
        package var method: String
        /// Probability that an artist the listener played outranks one they did not (ties ½).
        package var auc: Double
        /// Share of the listener's held-out artists in their top `cutoff`.
        package var recall: Double
    }

    /// The cut-off of recall.
    package static let cutoff = 50
    /// Tagged artists with plays, before the split.
    package let taggedItems: Int
    /// Artists held out.
    package let heldOutItems: Int
    /// Held-out artists with no tag of the map's vocabulary (placed at the origin: they tie).
    package let unplaceableItems: Int
    /// Listeners scored: those in the training data who played a held-out artist.
    package let users: Int
    /// Encore's placement, then the baselines.
    package let rows: [Row]

    /// Splits `plays`, trains with `configuration`, places and scores. `fraction` of the tagged
    /// artists with plays are held out, chosen by `seed`. With `otherListenersTags` (the same
    /// tags, numbered alike, without those given by the artist's own listeners) the held-out
    /// artists are placed a second time from those alone.
    package init(
        plays: Interactions, tags: TagAssignments, otherListenersTags: TagAssignments? = nil, configuration: ALSConfiguration,
        fraction: Double = 0.1, seed: UInt64, threads: Int = Parallel.defaultThreadCount, regularization: Double = TagMap.defaultRegularization
    ) throws {
        let tagged = (0..<plays.itemIDs.count).filter { item in
            tags.itemIDs.index(of: plays.itemIDs.id(at: item)).map { !tags.matrix.range(ofRow: $0).isEmpty } ?? false
        }
        var order = tagged
        var random = RandomSource(seed: seed, stream: 29, row: 0)
        order.shuffle(using: &random)
        let heldOut = Set(order.prefix(Int((fraction * Double(tagged.count)).rounded())))
        guard !heldOut.isEmpty, heldOut.count < tagged.count else {
            throw EncoreError.invalidArgument("holding out \(fraction) of \(tagged.count) tagged artists with plays leaves nothing to test or to learn from")
        }
        let kept = plays.users.indices.filter { !heldOut.contains(Int(plays.items[$0])) }
        let training = try Interactions(triples: kept.map {
            (user: plays.userIDs.id(at: Int(plays.users[$0])), item: plays.itemIDs.id(at: Int(plays.items[$0])), weight: plays.weights[$0])
        })
        let model = try TrainedModel.train(training, configuration: configuration, threads: threads)
        let heldOutIDs = heldOut.sorted().map { plays.itemIDs.id(at: $0) }
        let placement = try ColdStartPlacement(model: model, tags: tags, newItems: heldOutIDs, regularization: regularization)
        let independent = try otherListenersTags.map {
            try ColdStartPlacement(model: model, tags: tags, newItems: heldOutIDs, regularization: regularization, placingFrom: $0)
        }
        // Each scored listener's held-out artists, as positions in `heldOutIDs`.
        var played: [Int: Set<Int>] = [:]
        let position = Dictionary(uniqueKeysWithValues: heldOutIDs.enumerated().map { ($0.element, $0.offset) })
        for p in plays.users.indices where plays.weights[p] > 0 {
            guard let column = position[plays.itemIDs.id(at: Int(plays.items[p]))],
                  let user = model.userIDs.index(of: plays.userIDs.id(at: Int(plays.users[p]))) else { continue }
            played[user, default: []].insert(column)
        }
        let popularity = placement.tagPopularity(model: model)
        var noise = RandomSource(seed: seed, stream: 31, row: 0)
        let randomScores = heldOutIDs.map { _ in Float(noise.nextUniform()) }
        taggedItems = tagged.count
        heldOutItems = heldOut.count
        unplaceableItems = placement.unplaceable
        users = played.count
        rows = [ColdStartEvaluation.score("Encore: tags → factors (ridge)", played) { placement.scores(forUser: $0, model: model) }]
            + (independent.map { other in
                [ColdStartEvaluation.score("Encore, tags by non-listeners only", played) { other.scores(forUser: $0, model: model) }]
            } ?? [])
            + [ColdStartEvaluation.score("tag popularity", played) { _ in popularity },
               ColdStartEvaluation.score("random", played) { _ in randomScores }]
    }

    /// A method's mean AUC and recall@cutoff over the listeners in `played`.
    private static func score(_ method: String, _ played: [Int: Set<Int>], scores: (Int) -> [Float]) -> Row {
        var aucSum = 0.0, recallSum = 0.0
        for (user, positives) in played {
            let values = scores(user)
            aucSum += auc(values, positives: positives)
            let top = values.indices.sorted { (values[$0], -$0) > (values[$1], -$1) }.prefix(cutoff)
            recallSum += Double(top.filter(positives.contains).count) / Double(positives.count)
        }
        let count = Double(max(1, played.count))
        return Row(method: method, auc: aucSum / count, recall: recallSum / count)
    }

    /// P(a positive outscores a negative), ties counting ½; 1 when there is no negative.
    package static func auc(_ scores: [Float], positives: Set<Int>) -> Double {
        let negatives = scores.indices.filter { !positives.contains($0) }.map { scores[$0] }.sorted()
        guard !negatives.isEmpty, !positives.isEmpty else { return 1 }
        var total = 0.0
        for item in positives {
            let score = scores[item]
            let below = lowerBound(negatives, score), upTo = upperBound(negatives, score)
            total += Double(below) + 0.5 * Double(upTo - below)
        }
        return total / Double(positives.count * negatives.count)
    }

    private static func lowerBound(_ sorted: [Float], _ value: Float) -> Int {
        var low = 0, high = sorted.count
        while low < high { let mid = (low + high) / 2; if sorted[mid] < value { low = mid + 1 } else { high = mid } }
        return low
    }

    private static func upperBound(_ sorted: [Float], _ value: Float) -> Int {
        var low = 0, high = sorted.count
        while low < high { let mid = (low + high) / 2; if sorted[mid] <= value { low = mid + 1 } else { high = mid } }
        return low
    }
}

/// New items placed from their tags beside a trained model, for the evaluation: their vectors
/// and the tag-popularity baseline's scores.
struct ColdStartPlacement {
    /// The new items' vectors, row-major (zero for an unplaceable one).
    let vectors: [[Float]]
    /// How many had no tag of the vocabulary.
    let unplaceable: Int
    /// The tags laid over the model's items followed by the new ones.
    let tags: ItemTags
    let modelItems: Int

    /// The map is fitted on the model's items' tags in `assignments`; the new items are placed
    /// from their tags in `source` (numbered as `assignments`), by default the same.
    init(model: TrainedModel, tags assignments: TagAssignments, newItems: [String], regularization: Double, placingFrom source: TagAssignments? = nil) throws {
        let widened = try IDIndex(ids: model.itemIDs.ids + newItems)
        let tags = try ItemTags(assignments, itemIDs: widened)
        let placing = try source.map { try ItemTags($0, itemIDs: widened) } ?? tags
        self.tags = placing
        modelItems = model.itemCount
        let fitted = (0..<model.itemCount).filter { !tags.matrix.range(ofRow: $0).isEmpty }
        let map = try TagMap(tags: tags, targets: model.factors.itemFactors, items: fitted, regularization: regularization)
        let placed = newItems.indices.map { map.place(model.itemCount + $0, tags: placing) }
        unplaceable = placed.filter { $0 == nil }.count
        vectors = placed.map { $0 ?? [Float](repeating: 0, count: model.factors.factors) }
    }

    /// x_uᵀ y for each new item.
    func scores(forUser user: Int, model: TrainedModel) -> [Float] {
        let x = model.factors.userFactors.rowArray(user)
        return vectors.map { y in zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// The baseline: each new item scored by the mean, over its tags weighted by how often
    /// each was given, of how popular the trained artists with that tag are (mean log(1 + listeners)).
    func tagPopularity(model: TrainedModel) -> [Float] {
        let listeners = model.listenerCounts
        var sum = [Double](repeating: 0, count: tags.tagNames.count), count = sum
        for item in 0..<modelItems {
            for (tag, _) in tags.tags(ofItem: item) {
                sum[tag] += log1p(Double(listeners[item]))
                count[tag] += 1
            }
        }
        return vectors.indices.map { offset in
            let own = tags.tags(ofItem: modelItems + offset).filter { count[$0.tag] > 0 }
            let weight = own.reduce(0.0) { $0 + Double($1.weight) }
            guard weight > 0 else { return 0 }
            return Float(own.reduce(0.0) { $0 + Double($1.weight) * sum[$1.tag] / count[$1.tag] } / weight)
        }
    }
}
