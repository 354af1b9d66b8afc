/// How a station is put together.
package struct RadioOptions: Sendable {
    /// Number of picks.
    package var length = 50
    /// 0 = pure relevance (the nearest items in order), 1 = pure novelty; the MMR trade-off.
    package var diversity: Float = 0.3
    /// How far a listener's taste pulls the ranking (0 = ignore the listener, 1 = taste only).
    package var tasteWeight: Float = 0.3
    /// Seed of the small random jitter that makes stations vary from one seed value to another.
    package var randomSeed: UInt64 = 0
    /// Size of that jitter on the relevance scale.
    package var exploration: Float = 0.02
    /// Artists with fewer listeners are never played (0 plays any): see
    /// `SimilarItems.defaultMinimumListeners` for why and for the default.
    package var minimumListeners = SimilarItems.defaultMinimumListeners

    /// The defaults: 50 picks, diversity 0.3, taste weight 0.3, at least 5 listeners.
    package init() {}
}

/// One pick of a station.
package struct RadioPick: Sendable, Equatable {
    /// 1-based position.
    package var position: Int
    /// Item index.
    package var item: Int
    /// Its relevance to the seeds (and listener): cosine-based, 1 at best.
    package var score: Float
    /// Which seed (or listened artist) it is near.
    package var reason: String

    /// The pick as the JSON object `encore radio --json` prints a line of and the HTTP radio
    /// answer lists: position, item ID, name (null when unknown), score and reason.
    package func json(in model: TrainedModel) -> JSONLine {
        var line = JSONLine()
        line.add("position", position)
        line.add("item", model.itemIDs.id(at: item))
        line.add("name", model.name(ofItem: item))
        line.add("score", score)
        line.add("reason", reason)
        return line
    }
}

/// Artist radio: an ordered station that opens close to the seed artists and then explores their
/// neighbourhood rather than repeating the nearest few. The method is maximal marginal relevance
/// (Carbonell & Goldstein 1998) on unit-length item vectors: among the seeds' nearest items, each
/// pick maximises (1 − diversity)·relevance − diversity·(its largest cosine to an earlier pick).
/// Relevance is the cosine to the seeds' centroid; with a listener it is blended with the cosine
/// to the listener's vector, but the candidates stay the seeds' neighbourhood, so a station leans
/// toward the listener without leaving it. No item repeats; seeds are not played back.
package enum ArtistRadio {
    /// The station for `seeds` (item indices), optionally leaning toward `user`.
    /// `index`, when given, finds the neighbourhood (`ApproximateIndex.nearest`).
    package static func station(
        seeds: [Int], user: Int? = nil, options: RadioOptions = RadioOptions(), in model: TrainedModel,
        filter: CandidateFilter = .everything, index: ApproximateIndex? = nil
    ) throws -> [RadioPick] {
        guard !seeds.isEmpty else { throw EncoreError.invalidArgument("a station needs at least one seed artist") }
        var centroid = [Float](repeating: 0, count: model.factors.factors)
        for seed in Set(seeds) { VectorKernels.axpy(1, model.unitItemVector(seed), &centroid, centroid.count) }
        let listened = user.map { Array(model.interactions.columns(ofRow: $0).map(Int.init)) } ?? []
        return try mix(toward: centroid, user: user, options: options, in: model, excluding: Set(seeds), filter: filter, besides: "the seed(s)", index: index) { item in
            reason(for: item, seeds: seeds, listened: listened, in: model)
        }
    }

    /// The MMR station around `centroid` (any length; it is normalized): the candidates are
    /// its nearest playable items — not in `excluded`, permitted by `filter`, with enough
    /// listeners — each ranked by its cosine to the centroid plus `boost` of it, blended with
    /// the listener's taste when there is one. `besides` names what `excluded` holds (nil: nothing), for
    /// the error when too few items are left; `reason` says why an item was picked. `index`, when
    /// given (and there is no boost), finds the neighbourhood instead of a scan of every item.
    package static func mix(
        toward centroid: [Float], user: Int?, options: RadioOptions, in model: TrainedModel, excluding excluded: Set<Int>,
        filter: CandidateFilter, besides: String?, index: ApproximateIndex? = nil, boost: ((Int) -> Float)? = nil, reason: (Int) -> String
    ) throws -> [RadioPick] {
        guard options.length >= 1 else { throw EncoreError.invalidParameter(name: "length", value: "\(options.length)", requirement: "be at least 1") }
        guard (0...1).contains(options.diversity), (0...1).contains(options.tasteWeight) else {
            throw EncoreError.invalidArgument("diversity and taste weight must be between 0 and 1")
        }
        // Cosines from the raw vectors and their lengths: no unit-length copy of the catalogue.
        let items = model.factors.itemFactors, k = items.columns, inverse = model.inverseItemLengths
        var centroid = centroid
        normalize(&centroid)
        var taste: [Float]? = nil
        if let user {
            var vector = model.factors.userFactors.rowArray(user)
            normalize(&vector)
            taste = vector
        }
        let listeners = model.listenerCounts, minimum = options.minimumListeners, everything = filter.isEverything
        // Playable but for `excluded`. The excluded items (the seeds) are few: they are counted and
        // taken out afterwards rather than looked up in their set for every item of the catalogue
        // (a hash per item was a seventh of a station's time on 292,385 items).
        func playable(_ item: Int) -> Bool { listeners[item] >= minimum && (everything || filter.permits(item)) }
        let excludedPlayable = excluded.filter { (0..<items.rows).contains($0) && playable($0) }.count
        var eligibleCount = -excludedPlayable
        for item in 0..<items.rows where playable(item) { eligibleCount += 1 }
        guard eligibleCount >= options.length else {
            let popular = minimum > 0 ? " with at least \(minimum) listener\(minimum == 1 ? "" : "s")" : ""
            // Not an out-of-range parameter but what this model can do: a runtime error (exit 1).
            throw EncoreError.invalidArgument("only \(eligibleCount) items\(besides.map { " besides \($0)" } ?? "")\(popular) can be played; ask for a length of \(eligibleCount) or less")
        }
        // The neighbourhood: the centroid's nearest items, a few times the station's length.
        let poolSize = min(eligibleCount, max(4 * options.length, 100))
        let pool = (boost == nil ? index?.nearest(model, toUnitVector: centroid, count: poolSize, minimumListeners: minimum) {
            !excluded.contains($0) && filter.permits($0)
        } : nil) ?? {
            // The best poolSize + excludedPlayable of the playable items hold the best poolSize
            // of the eligible ones, in the same order (score, then index: `TopK`'s total order).
            var nearness = TopK(k: poolSize + excludedPlayable)
            for item in 0..<items.rows where playable(item) {
                nearness.offer(index: item, score: VectorKernels.dot(centroid, items.row(item), k) * inverse[item] + (boost?(item) ?? 0))
            }
            return Array(nearness.sorted().lazy.filter { !excluded.contains($0.index) }.prefix(poolSize))
        }()
        var random = RandomSource(seed: options.randomSeed, stream: 13, row: 0)
        let relevance = pool.map { entry -> Float in
            var value = entry.score
            if let taste { value = (1 - options.tasteWeight) * value + options.tasteWeight * VectorKernels.dot(taste, items.row(entry.index), k) * inverse[entry.index] }
            return value + options.exploration * (Float(random.nextUniform()) - 0.5)
        }
        var maxSimilarity = [Float](repeating: -.infinity, count: pool.count)
        var taken = [Bool](repeating: false, count: pool.count)
        var picks: [RadioPick] = []
        for position in 1...options.length {
            var best = -1
            var bestValue = -Float.infinity
            for candidate in 0..<pool.count where !taken[candidate] {
                let redundancy = maxSimilarity[candidate] == -.infinity ? 0 : maxSimilarity[candidate]
                let value = (1 - options.diversity) * relevance[candidate] - options.diversity * redundancy
                if value > bestValue { bestValue = value; best = candidate }
            }
            taken[best] = true
            let item = pool[best].index
            // With the lengths fetched once above: through `model.cosine(item:_:)` each of these
            // pool × length cosines fetched them from the model again (radio 0.77–0.95 of this
            // at 2 connections, 0.78–0.84 at 64, alternating pairs).
            for candidate in 0..<pool.count where !taken[candidate] {
                maxSimilarity[candidate] = max(maxSimilarity[candidate], model.cosine(item: item, pool[candidate].index, inverseLengths: inverse))
            }
            picks.append(RadioPick(position: position, item: item, score: relevance[best], reason: reason(item)))
        }
        return picks
    }

    /// "near SEED (cosine)", plus the closest listened artist when it is nearer than any seed.
    static func reason(for item: Int, seeds: [Int], listened: [Int], in model: TrainedModel) -> String {
        func nearest(_ among: [Int]) -> (Int, Float)? {
            among.map { ($0, model.cosine(item: item, $0)) }.max { $0.1 < $1.1 }
        }
        func label(_ index: Int) -> String { model.name(ofItem: index) ?? model.itemIDs.id(at: index) }
        let seed = nearest(seeds)!
        var text = "near \(label(seed.0)) (cosine \(String(format: "%.2f", seed.1)))"
        var named = seed.0
        if let heard = nearest(listened.filter { $0 != item }), heard.1 > seed.1 {
            text += "; like \(label(heard.0)), which you play (cosine \(String(format: "%.2f", heard.1)))"
            named = heard.0
        }
        return text + TagWords.bothTagged(item, named, in: model)
    }

    static func normalize(_ vector: inout [Float]) {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { for i in vector.indices { vector[i] /= norm } }
    }
}
