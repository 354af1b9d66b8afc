import Foundation

/// Approximate top-k over a model's items, on FAISS: one inner-product index over the raw item
/// vectors (a listener's recommendations, x·y) and one over the unit-length vectors of the items
/// with enough listeners (similar items and radio, by cosine). Both keep only what the exact path
/// keeps — seen items, exclusion and allow lists, the minimum-listener rule out — and score with
/// the model's own vectors: an IVF-flat index by scanning the lists FAISS names with Encore's
/// kernel (`scan`), any other kind by over-fetching from FAISS's search and re-scoring (`search`).
/// When the filters leave fewer than asked and the index could still hold more, the caller is
/// told (nil) and answers exactly, so a list is never shorter than the exact path's.
///
/// The file beside the model (`ApproximateIndexFile`) is bound to the model file's checksum.
/// Immutable once built; searches run from many threads.
package final class ApproximateIndex: Sendable {
    /// How an index is built and searched.
    package struct Settings: Codable, Equatable, Sendable {
        /// The FAISS factory description of both indexes; `{lists}` stands for each one's number
        /// of inverted lists (`lists(items:)` of the vectors it holds).
        package var description: String
        /// How many inverted lists a recommendation search looks in (IVF's nprobe).
        package var breadth: Int
        /// The same for similar items and radio: cosine neighbours need a wider look for the
        /// same recall (docs/catalogue.md).
        package var similarBreadth: Int
        /// Items with fewer listeners are left out of the similar-items index; a query with a
        /// lower minimum is answered exactly.
        package var similarMinimumListeners: Int
        /// How many candidates a query asks an index that is not IVF-flat (IVF-PQ) for at least,
        /// to re-score from the model's vectors: its own scores are approximate, so the true
        /// top 10 can rank well below 10th by them. nil (files written before it): 32.
        package var candidates: Int?

        /// How many lists `recommend-all` looks in for each user, when fewer than `breadth`: the
        /// fewest whose recall@10 the build measured at `ApproximateIndex.requiredRecall` or more
        /// and within 0.01 of `breadth`'s (a batch pays for every list it scans; a single query
        /// is fast at any breadth). nil (none did, or files written before it): `breadth`.
        package var batchBreadth: Int?

        /// `candidates`, or 32 when the file does not say.
        var minimumFetch: Int { candidates ?? 32 }

        /// The defaults for a catalogue of `items`: IVF-flat with √items lists, 16 of them
        /// searched for a listener, 96 for similar items (docs/catalogue.md has the measurements).
        package static func defaults(items: Int) -> Settings {
            Settings(description: "IVF{lists},Flat", breadth: 16, similarBreadth: 96, similarMinimumListeners: SimilarItems.defaultMinimumListeners)
        }

        /// The defaults for `model`: as `defaults(items:)`, and similar items searched in a tenth
        /// of their index's lists when that is more than 96 — cosine neighbours spread over a
        /// share of the lists, not a number of them: 96 of 1,915 lists reached recall@10 0.934
        /// at 12 M items, 191 reached 0.976 (docs/catalogue.md).
        package static func defaults(for model: TrainedModel) -> Settings {
            var settings = defaults(items: model.itemCount)
            let members = model.listenerCounts.reduce(0) { $0 + ($1 >= settings.similarMinimumListeners ? 1 : 0) }
            settings.similarBreadth = max(settings.similarBreadth, lists(items: members) / 10)
            return settings
        }

        /// Inverted lists for an index of `items` vectors: the square root of `items`, as FAISS's
        /// guidelines suggest, and no more than k-means can train from them (39 points a list).
        package static func lists(items: Int) -> Int { max(1, min(Int(Double(items).squareRoot()), items / 39)) }

        /// `description` for an index of `items` vectors.
        package func description(forItems items: Int) -> String {
            description.replacingOccurrences(of: "{lists}", with: "\(Settings.lists(items: items))")
        }

        package init(description: String, breadth: Int, similarBreadth: Int, similarMinimumListeners: Int) {
            self.description = description
            self.breadth = breadth
            self.similarBreadth = similarBreadth
            self.similarMinimumListeners = similarMinimumListeners
        }
    }

    /// What the file says about the index: which model it belongs to and what it measured.
    package struct Header: Codable, Equatable, Sendable {
        /// The checksum stored at the end of the model file it was built from.
        package var modelChecksum: UInt64
        package var items: Int
        package var factors: Int
        package var settings: Settings
        /// Mean recall@10 against the exact path on a sample of users, measured when built.
        package var recall: Double
        /// The same for similar items, on a sample of items.
        package var similarRecall: Double
        /// Seconds the build took (both indexes and the recall sample).
        package var buildSeconds: Double
        /// How many times faster the index wrote top-10 lists for a sample of users than the
        /// exact batch path (which stops early on long-tailed catalogues), measured when built:
        /// `recommend-all` answers from the index by itself only when this is above 1.
        package var batchSpeedUp: Double
    }

    /// The recall@10 an index must have measured for the commands to use it without being asked.
    package static let requiredRecall = 0.95
    /// Catalogues smaller than this are answered exactly unless the index is asked for: below
    /// it the exact path is as fast (docs/catalogue.md).
    package static let automaticMinimumItems = 500_000

    package let header: Header
    let recommendIndex: FAISSIndex
    let similarIndex: FAISSIndex
    /// The item at each position of the similar-items index.
    package let similarMembers: [Int32]
    /// The lengths of the recommendation index's vectors, when its lists hold them longest
    /// first (as `build` orders them), so scans stop early; nil otherwise.
    let recommendLengths: ListLengths?

    init(header: Header, recommendIndex: FAISSIndex, similarIndex: FAISSIndex, similarMembers: [Int32], recommendLengths: ListLengths?) {
        self.header = header
        self.recommendIndex = recommendIndex
        self.similarIndex = similarIndex
        self.similarMembers = similarMembers
        self.recommendLengths = recommendLengths
    }

    /// The length of every vector of an IVF-flat index, list by list: 4 bytes an item, computed
    /// when the index is made or read. Made only when every list holds its vectors longest first
    /// (an index written before lists were ordered is scanned whole, as it was).
    struct ListLengths: Sendable {
        let lengths: [[Float]]

        init?(_ index: FAISSIndex) {
            guard let count = index.flatListCount else { return nil }
            let k = index.dimension
            var lengths: [[Float]] = []
            lengths.reserveCapacity(count)
            for list in 0..<count {
                let (n, _, vectors) = index.flatList(list)
                guard let vectors else { lengths.append([]); continue }
                let row = (0..<n).map { VectorKernels.dot(vectors + $0 * k, vectors + $0 * k, k).squareRoot() }
                // FAISS's side sums the squares in another order: equal within rounding.
                for i in row.indices.dropFirst() where row[i] > row[i - 1] * 1.00001 { return nil }
                lengths.append(row)
            }
            self.lengths = lengths
        }
    }

    /// Where the index of the model at `modelPath` lives.
    package static func path(forModel modelPath: String) -> String { modelPath + ".index" }

    /// Whether the commands should answer from this index by themselves: a catalogue large
    /// enough for it to pay, and a recall measured at build time that meets the promise.
    package func isChosenAutomatically(forItems items: Int) -> Bool {
        items >= ApproximateIndex.automaticMinimumItems && header.recall >= ApproximateIndex.requiredRecall
            && header.similarRecall >= ApproximateIndex.requiredRecall
    }

    /// The same for many users at once (`recommend-all`), which also needs the index to have
    /// measured faster than the exact batch path when it was built.
    package func isChosenAutomaticallyForBatches(forItems items: Int) -> Bool {
        isChosenAutomatically(forItems: items) && header.batchSpeedUp > 1
    }

    /// The `count` best items for `user` of `model`, leaving out row `user` of `seen` and what
    /// `filter` refuses; nil when the index cannot promise a full list (answer exactly then).
    package func recommend(_ model: TrainedModel, user: Int, count: Int, seen: SparseMatrix?, filter: CandidateFilter = .everything) -> [ScoredItem]? {
        let excluded = seen.map { user < $0.rowCount ? Set($0.columns(ofRow: user).map(Int.init)) : [] } ?? []
        let vector = model.factors.userFactors.rowArray(user)
        let items = model.factors.itemFactors
        return search(recommendIndex, query: vector, count: count, skipping: excluded.count, breadth: header.settings.breadth,
                      label: { Int($0) }, score: { VectorKernels.dot(vector, items.row($0), items.columns) }) {
            !excluded.contains($0) && filter.permits($0)
        }
    }

    /// The `count` items most like `item` by cosine, itself, items with fewer than
    /// `minimumListeners` listeners and what `filter` refuses left out; nil when the index cannot
    /// answer (a minimum below the index's, or too few survivors).
    package func similar(_ model: TrainedModel, to item: Int, count: Int, minimumListeners: Int, filter: CandidateFilter = .everything) -> [ScoredItem]? {
        return nearest(model, toUnitVector: model.unitItemVector(item), count: count, minimumListeners: minimumListeners) {
            $0 != item && filter.permits($0)
        }
    }

    /// The `count` items nearest by cosine to `unitVector` (unit length) among those with at
    /// least `minimumListeners` listeners that `accept` takes; nil as for `similar`.
    package func nearest(
        _ model: TrainedModel, toUnitVector unitVector: [Float], count: Int, minimumListeners: Int, accept: (Int) -> Bool
    ) -> [ScoredItem]? {
        guard minimumListeners >= header.settings.similarMinimumListeners else { return nil }
        let listeners = model.listenerCounts
        return search(similarIndex, query: unitVector, count: count, skipping: 1, breadth: header.settings.similarBreadth,
                      label: { Int(self.similarMembers[Int($0)]) }, score: { model.cosine(unitVector, item: $0) }) {
            listeners[$0] >= minimumListeners && accept($0)
        }
    }

    /// Over-fetch, filter, re-score: asks the index for twice `count + skipping`, then four times
    /// as many (looking in twice as many lists) each round, until `count` candidates pass
    /// `accept` or the index has no more to give; gives up (nil) once a round would ask for a
    /// large share of the index, where the exact path is cheaper.
    /// An IVF-flat index is scanned instead (`scan`).
    private func search(
        _ index: FAISSIndex, query: [Float], count: Int, skipping: Int, breadth: Int, label: (Int64) -> Int, score: (Int) -> Float,
        accept: (Int) -> Bool
    ) -> [ScoredItem]? {
        let held = index.count
        guard count > 0 else { return [] }
        if let lists = index.flatListCount {
            let lengths = index === recommendIndex ? recommendLengths : nil
            return scan(index, lists: lists, query: query, count: count, breadth: breadth, lengths: lengths, label: label, accept: accept)
        }
        var fetch = max(2 * (count + skipping), header.settings.minimumFetch)
        var round = 0
        while true {
            let k = min(fetch, held)
            guard let found = try? query.withUnsafeBufferPointer({ try index.search($0.baseAddress!, count: 1, k: k, breadth: breadth << round) })
            else { return nil }
            var top = TopK(k: count)
            var returned = 0
            for raw in found.labels where raw >= 0 {
                returned += 1
                let item = label(raw)
                if accept(item) { top.offer(index: item, score: score(item)) }
            }
            let list = top.sorted()
            // Every vector the index holds was looked at: what passed is all there is.
            if list.count >= count || (k == held && returned == held) { return list }
            if 4 * fetch > max(held / 8, 4096) { return nil }
            fetch *= 4
            round += 1
        }
    }

    /// IVF-flat on Encore's own kernel: FAISS names the `breadth` lists nearest the query, and
    /// every vector in them is scored with `VectorKernels.scores` (the exact path's kernel; Debian's
    /// FAISS scans with scalar code) and offered, if `accept` takes it, to the top `count`. No
    /// over-fetch is needed, since everything in the lists is looked at; while fewer than
    /// `count` pass, four times as many lists are looked in, and once that would be a large share
    /// of the lists the exact path answers (nil) — unless every list was scanned.
    private func scan(
        _ index: FAISSIndex, lists listCount: Int, query: [Float], count: Int, breadth: Int, lengths listLengths: ListLengths?,
        label: (Int64) -> Int, accept: (Int) -> Bool
    ) -> [ScoredItem]? {
        let k = query.count
        var probes = min(max(1, breadth), listCount)
        // Lists held longest first are scanned in short blocks and left once the k-th best
        // score beats ‖q‖ times the next vector's length (with the exact path's rounding margin).
        var scores = [Float](repeating: 0, count: listLengths == nil ? 4096 : 128)
        let queryLength = VectorKernels.dot(query, query, k).squareRoot()
        while true {
            guard let lists = try? query.withUnsafeBufferPointer({ try index.probe($0.baseAddress!, count: 1, probes: probes) }) else { return nil }
            var top = TopK(k: count)
            for list in lists where list >= 0 {
                let (n, labels, vectors) = index.flatList(Int(list))
                guard n > 0, let labels, let vectors else { continue }
                let lengths = listLengths?.lengths[Int(list)]
                for column in stride(from: 0, to: n, by: scores.count) {
                    if let lengths, top.threshold > -.infinity, top.threshold > queryLength * lengths[column] * 1.0001 { break }
                    let width = min(scores.count, n - column)
                    scores.withUnsafeMutableBufferPointer { scores in
                        let out = scores.baseAddress!
                        VectorKernels.scores(query, m: 1, lda: k, vectors + column * k, n: width, ldb: k, k: k, into: out, ldc: width)
                        var threshold = top.threshold
                        for j in 0..<width where out[j] >= threshold && out[j] > -.infinity {
                            let item = label(labels[column + j])
                            guard accept(item) else { continue }
                            top.offer(index: item, score: out[j])
                            threshold = top.threshold
                        }
                    }
                }
            }
            let list = top.sorted()
            if list.count >= count || probes == listCount { return list }
            if 4 * probes > max(listCount / 8, 1) { return nil }
            probes = min(4 * probes, listCount)
        }
    }
}

extension ApproximateIndex {
    /// The same index searched in other numbers of lists, to measure other settings without
    /// rebuilding.
    /// (An explicit `breadth` holds for batches too.)
    package func searching(breadth: Int?, similarBreadth: Int?, candidates: Int? = nil, batchBreadth: Int? = nil) -> ApproximateIndex {
        var header = header
        if let breadth {
            header.settings.breadth = breadth
            header.settings.batchBreadth = nil
        }
        if let candidates { header.settings.candidates = candidates }
        if let batchBreadth { header.settings.batchBreadth = batchBreadth }
        if let similarBreadth { header.settings.similarBreadth = similarBreadth }
        return ApproximateIndex(header: header, recommendIndex: recommendIndex, similarIndex: similarIndex, similarMembers: similarMembers,
                                recommendLengths: recommendLengths)
    }
}
