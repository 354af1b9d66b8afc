import Foundation

/// Building an `ApproximateIndex` from a model, and measuring it against the exact path.
extension ApproximateIndex {
    /// Vectors handed to FAISS per call while building, so progress can be reported.
    static let buildChunk = 32_768
    /// Users (and items) whose lists the build compares with the exact path, to store the recall.
    package static let buildSample = 200
    /// Users whose top-10 lists the build writes both ways, to time the batch paths.
    package static let batchSample = 16_384

    /// Builds both indexes for `model` (whose file's checksum is `modelChecksum`) and measures
    /// their recall on a small sample. `progress` gets what is being done and the fraction of
    /// the whole build done so far.
    package static func build(
        _ model: TrainedModel, modelChecksum: UInt64, settings: Settings, threads: Int = Parallel.defaultThreadCount,
        progress: (String, Double) -> Void = { _, _ in }
    ) throws -> ApproximateIndex {
        let start = DispatchTime.now().uptimeNanoseconds
        FAISSIndex.setThreads(threads)
        // The exact batch path first, so that its longest-first order and head copy are gone
        // before the index is made: the two are never in memory together.
        progress("measuring the exact batch path", 0)
        let exactBatch = try exactBatchSeconds(model, users: batchSample, threads: threads)
        let listeners = model.listenerCounts
        let members = (0..<model.itemCount).filter { listeners[$0] >= settings.similarMinimumListeners }
        // Each index's share of the progress bar, by the vectors it holds.
        let total = Double(model.itemCount + members.count)
        let recommend = try fill(model.factors.itemFactors, rows: 0..<model.itemCount, unitLength: false, settings: settings) {
            progress("indexing item vectors", 0.05 + 0.7 * Double($0) / total)
        }
        // Unit length chunk by chunk, as they are handed over: the model's whole unit-length
        // copy (`normalizedItemFactors`) would be another 2.6 GB at 10 M items.
        let similar = try fill(model.factors.itemFactors, rows: members, unitLength: true, settings: settings) {
            progress("indexing unit item vectors", 0.05 + 0.7 * Double(model.itemCount + $0) / total)
        }
        var header = Header(
            modelChecksum: modelChecksum, items: model.itemCount, factors: model.factors.factors, settings: settings,
            recall: 0, similarRecall: 0, buildSeconds: 0, batchSpeedUp: 0
        )
        // Longest first within each list, so scans can stop early (`ListLengths`); the unit
        // vectors of the similar-items index are all of length 1 and stay as they are.
        recommend.sortListsByLength()
        let unmeasured = ApproximateIndex(header: header, recommendIndex: recommend, similarIndex: similar, similarMembers: members.map { Int32($0) },
                                          recommendLengths: ListLengths(recommend))
        progress("measuring recall", 0.75)
        let measured = unmeasured.evaluate(model, users: buildSample, items: buildSample, seed: 1)
        header.recall = measured.recall
        header.similarRecall = measured.similarRecall
        // Within 0.01 of the full breadth's recall as well as above the promise: 200 users are a
        // small sample, and at 4 M items one list measured 0.95 on it and 0.92 on 300 others.
        let batchRecall = max(requiredRecall, measured.recall - 0.01)
        header.settings.batchBreadth = measured.recallByBreadth.filter { $0.value >= batchRecall }.keys.min()
        progress("measuring batch speed", 0.97)
        let batch = unmeasured.searching(breadth: nil, similarBreadth: nil, batchBreadth: header.settings.batchBreadth)
        header.batchSpeedUp = exactBatch / max(try batch.indexBatchSeconds(model, users: batchSample, threads: threads), 1e-9)
        header.buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        progress("done", 1)
        return ApproximateIndex(header: header, recommendIndex: recommend, similarIndex: similar, similarMembers: unmeasured.similarMembers,
                                recommendLengths: unmeasured.recommendLengths)
    }

    /// One index over `rows` of `vectors` (scaled to unit length when `unitLength`), trained on
    /// an evenly spread sample of them, filled in chunks (`added` gets the running count).
    private static func fill<Rows: RandomAccessCollection<Int>>(
        _ vectors: DenseMatrix, rows: Rows, unitLength: Bool, settings: Settings, added: (Int) -> Void
    ) throws -> FAISSIndex where Rows.Index == Int {
        let index = try FAISSIndex(dimension: vectors.columns, description: settings.description(forItems: rows.count))
        let first = rows.startIndex
        if !rows.isEmpty {
            let sampleSize = min(rows.count, 200_000)
            let sample = (0..<sampleSize).map { rows[first + $0 * rows.count / sampleSize] }
            try packed(vectors, sample, unitLength: unitLength) { try index.train($0, count: sample.count) }
        }
        // An IVF index's lists are assigned first and given their exact room: filled as they
        // come, FAISS's lists grow by doubling, up to twice the index's memory at build time.
        var assigned: [Int64]? = []
        for start in stride(from: 0, to: rows.count, by: buildChunk) where assigned != nil {
            let chunk = rows[(first + start)..<(first + min(start + buildChunk, rows.count))]
            try packed(vectors, chunk, unitLength: unitLength) { vectors in
                if let lists = try index.assign(vectors, count: chunk.count) { assigned?.append(contentsOf: lists) } else { assigned = nil }
            }
            added((start + chunk.count) / 2)
        }
        if let assigned, let listCount = assigned.max().map({ Int($0) + 1 }) {
            var counts = [Int64](repeating: 0, count: listCount)
            for list in assigned where list >= 0 { counts[Int(list)] += 1 }
            index.reserve(counts)
        }
        var start = 0
        while start < rows.count {
            let chunk = rows[(first + start)..<(first + min(start + buildChunk, rows.count))]
            try packed(vectors, chunk, unitLength: unitLength) { packed in
                if let assigned {
                    try assigned.withUnsafeBufferPointer { try index.add(packed, count: chunk.count, lists: $0.baseAddress! + start) }
                } else {
                    try index.add(packed, count: chunk.count)
                }
            }
            start += chunk.count
            added(assigned == nil ? start : (rows.count + start) / 2)
        }
        return index
    }

    /// `rows` of `vectors` copied next to each other, as FAISS takes them (a `DenseMatrix` may
    /// pad its rows), scaled to unit length when `unitLength`.
    private static func packed<Rows: Collection<Int>>(
        _ vectors: DenseMatrix, _ rows: Rows, unitLength: Bool, _ body: (UnsafePointer<Float>) throws -> Void
    ) throws {
        let k = vectors.columns
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows.count * k))
        defer { buffer.deallocate() }
        for (slot, row) in rows.enumerated() {
            (buffer + slot * k).update(from: vectors.row(row), count: k)
            if unitLength { scaleToUnitLength(buffer + slot * k, k) }
        }
        try body(buffer)
    }

    /// Scales `vector` to unit length (a zero vector stays zero) with the arithmetic of
    /// `DenseMatrix.rowNormalized`, so a vector here is bit for bit the exact path's.
    static func scaleToUnitLength(_ vector: UnsafeMutablePointer<Float>, _ k: Int) {
        let norm = VectorKernels.dot(vector, vector, k).squareRoot()
        if norm > 0 { VectorKernels.scale(vector, 1 / norm, k) }
    }

    /// Recall@10 of the index against the exact path, and the time each took.
    package struct Evaluation: Sendable {
        /// Mean share of a sampled user's exact top 10 that the index path also returns.
        package var recall: Double
        /// The same for similar items (cosine, default minimum listeners).
        package var similarRecall: Double
        /// Seconds per query, exact and from the index, for users and for similar items.
        package var exactSeconds: Double
        package var indexSeconds: Double
        package var exactSimilarSeconds: Double
        package var indexSimilarSeconds: Double
        /// Queries the index handed back to the exact path (too few survivors of the filters).
        package var fallbacks: Int
        /// Recall@10 of the same users' recommendations searching fewer lists: 1, 2, 4, … below
        /// the index's breadth (for `Settings.batchBreadth`).
        package var recallByBreadth: [Int: Double]
        package var users: Int
        package var items: Int
    }

    /// Runs `users` sampled users' recommendations (seen items left out) and `items` sampled
    /// items' similar lists through both paths, one query at a time as the server does.
    package func evaluate(_ model: TrainedModel, users: Int, items: Int, seed: UInt64) -> Evaluation {
        var random = RandomSource(seed: seed)
        let sampledUsers = (0..<min(users, model.userCount)).map { _ in Int(random.next() % UInt64(model.userCount)) }
        let eligible = similarMembers
        let sampledItems = eligible.isEmpty ? [] : (0..<min(items, eligible.count)).map { _ in Int(eligible[Int(random.next() % UInt64(eligible.count))]) }
        var fallbacks = 0
        let user = compare(sampledUsers, exact: {
            TopNRecommendation.recommend(model, user: $0, count: 10, seen: model.interactions)
        }, approximate: {
            if let list = self.recommend(model, user: $0, count: 10, seen: model.interactions) { return list }
            fallbacks += 1
            return TopNRecommendation.recommend(model, user: $0, count: 10, seen: model.interactions)
        })
        var recallByBreadth: [Int: Double] = [:]
        for breadth in sequence(first: 1, next: { $0 * 2 }).prefix(while: { $0 < header.settings.breadth }) {
            let narrower = searching(breadth: breadth, similarBreadth: nil)
            let lists = sampledUsers.map { narrower.recommend(model, user: $0, count: 10, seen: model.interactions) ?? [] }
            recallByBreadth[breadth] = ApproximateIndex.recall(lists, against: user.exactLists)
        }
        let minimum = header.settings.similarMinimumListeners
        let similar = compare(sampledItems, exact: {
            SimilarItems.similar(to: $0, count: 10, in: model, minimumListeners: minimum)
        }, approximate: {
            if let list = self.similar(model, to: $0, count: 10, minimumListeners: minimum) { return list }
            fallbacks += 1
            return SimilarItems.similar(to: $0, count: 10, in: model, minimumListeners: minimum)
        })
        return Evaluation(
            recall: user.recall, similarRecall: similar.recall, exactSeconds: user.exact, indexSeconds: user.index,
            exactSimilarSeconds: similar.exact, indexSimilarSeconds: similar.index, fallbacks: fallbacks,
            recallByBreadth: recallByBreadth, users: sampledUsers.count, items: sampledItems.count
        )
    }

    /// Mean recall of `approximate` against `exact` over `queries`, each one's seconds per
    /// query, and the exact lists.
    private func compare(
        _ queries: [Int], exact: (Int) -> [ScoredItem], approximate: (Int) -> [ScoredItem]
    ) -> (recall: Double, exact: Double, index: Double, exactLists: [[ScoredItem]]) {
        guard !queries.isEmpty else { return (1, 0, 0, []) }
        var exactLists: [[ScoredItem]] = []
        let exactStart = DispatchTime.now().uptimeNanoseconds
        for query in queries { exactLists.append(exact(query)) }
        let exactSeconds = Double(DispatchTime.now().uptimeNanoseconds - exactStart) / 1e9
        var indexLists: [[ScoredItem]] = []
        let indexStart = DispatchTime.now().uptimeNanoseconds
        for query in queries { indexLists.append(approximate(query)) }
        let indexSeconds = Double(DispatchTime.now().uptimeNanoseconds - indexStart) / 1e9
        let n = Double(queries.count)
        return (ApproximateIndex.recall(indexLists, against: exactLists), exactSeconds / n, indexSeconds / n, exactLists)
    }

    /// Mean share of each exact list's items that the matching found list holds (1 for none).
    static func recall(_ found: [[ScoredItem]], against exact: [[ScoredItem]]) -> Double {
        guard !exact.isEmpty else { return 1 }
        var recall = 0.0
        for (truth, list) in zip(exact, found) {
            let expected = Set(truth.map(\.index))
            recall += expected.isEmpty ? 1 : Double(list.filter { expected.contains($0.index) }.count) / Double(expected.count)
        }
        return recall / Double(exact.count)
    }
}
