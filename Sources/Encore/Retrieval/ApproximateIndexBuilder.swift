import Foundation

/// Building an `ApproximateIndex` from a model, and measuring it against the exact path.
extension ApproximateIndex {
    /// Vectors handed to FAISS per call while building, so progress can be reported.
    static let buildChunk = 32_768
    /// Users (and items) whose lists the build compares with the exact path, to store the recall.
    package static let buildSample = 200
    /// Users whose top-10 lists the build writes both ways, to time the batch paths.
    package static let batchSample = 4096

    /// Builds both indexes for `model` (whose file's checksum is `modelChecksum`) and measures
    /// their recall on a small sample. `progress` gets what is being done and the fraction of
    /// the whole build done so far.
    package static func build(
        _ model: TrainedModel, modelChecksum: UInt64, settings: Settings, threads: Int = Parallel.defaultThreadCount,
        progress: (String, Double) -> Void = { _, _ in }
    ) throws -> ApproximateIndex {
        let start = DispatchTime.now().uptimeNanoseconds
        FAISSIndex.setThreads(threads)
        let listeners = model.listenerCounts
        let members = (0..<model.itemCount).filter { listeners[$0] >= settings.similarMinimumListeners }
        // Each index's share of the progress bar, by the vectors it holds.
        let total = Double(model.itemCount + members.count)
        let recommend = try fill(model.factors.itemFactors, rows: Array(0..<model.itemCount), settings: settings) {
            progress("indexing item vectors", 0.95 * Double($0) / total)
        }
        let similar = try fill(model.normalizedItemFactors, rows: members, settings: settings) {
            progress("indexing unit item vectors", 0.95 * Double(model.itemCount + $0) / total)
        }
        var header = Header(
            modelChecksum: modelChecksum, items: model.itemCount, factors: model.factors.factors, settings: settings,
            recall: 0, similarRecall: 0, buildSeconds: 0, batchSpeedUp: 0
        )
        let unmeasured = ApproximateIndex(header: header, recommendIndex: recommend, similarIndex: similar, similarMembers: members.map { Int32($0) })
        progress("measuring recall", 0.95)
        let measured = unmeasured.evaluate(model, users: buildSample, items: buildSample, seed: 1)
        header.recall = measured.recall
        header.similarRecall = measured.similarRecall
        progress("measuring batch speed", 0.97)
        let batch = try unmeasured.batchSeconds(model, users: batchSample, threads: threads)
        header.batchSpeedUp = batch.exact / max(batch.index, 1e-9)
        header.buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        progress("done", 1)
        return ApproximateIndex(header: header, recommendIndex: recommend, similarIndex: similar, similarMembers: unmeasured.similarMembers)
    }

    /// One index over `rows` of `vectors`, trained on an evenly spread sample of them, filled
    /// in chunks (`added` gets the running count).
    private static func fill(_ vectors: DenseMatrix, rows: [Int], settings: Settings, added: (Int) -> Void) throws -> FAISSIndex {
        let index = try FAISSIndex(dimension: vectors.columns, description: settings.description(forItems: rows.count))
        if !rows.isEmpty {
            let sampleSize = min(rows.count, 200_000)
            let sample = (0..<sampleSize).map { rows[$0 * rows.count / sampleSize] }
            try packed(vectors, sample) { try index.train($0, count: sample.count) }
        }
        var start = 0
        while start < rows.count {
            let chunk = Array(rows[start..<min(start + buildChunk, rows.count)])
            try packed(vectors, chunk) { try index.add($0, count: chunk.count) }
            start += chunk.count
            added(start)
        }
        return index
    }

    /// `rows` of `vectors` copied next to each other, as FAISS takes them (a `DenseMatrix` may pad its rows).
    private static func packed(_ vectors: DenseMatrix, _ rows: [Int], _ body: (UnsafePointer<Float>) throws -> Void) throws {
        let k = vectors.columns
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows.count * k))
        defer { buffer.deallocate() }
        for (slot, row) in rows.enumerated() { (buffer + slot * k).update(from: vectors.row(row), count: k) }
        try body(buffer)
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
            users: sampledUsers.count, items: sampledItems.count
        )
    }

    /// Mean recall of `approximate` against `exact` over `queries`, and each one's seconds per query.
    private func compare(
        _ queries: [Int], exact: (Int) -> [ScoredItem], approximate: (Int) -> [ScoredItem]
    ) -> (recall: Double, exact: Double, index: Double) {
        guard !queries.isEmpty else { return (1, 0, 0) }
        var exactLists: [[ScoredItem]] = []
        let exactStart = DispatchTime.now().uptimeNanoseconds
        for query in queries { exactLists.append(exact(query)) }
        let exactSeconds = Double(DispatchTime.now().uptimeNanoseconds - exactStart) / 1e9
        var indexLists: [[ScoredItem]] = []
        let indexStart = DispatchTime.now().uptimeNanoseconds
        for query in queries { indexLists.append(approximate(query)) }
        let indexSeconds = Double(DispatchTime.now().uptimeNanoseconds - indexStart) / 1e9
        var recall = 0.0
        for (truth, found) in zip(exactLists, indexLists) {
            let expected = Set(truth.map(\.index))
            recall += expected.isEmpty ? 1 : Double(found.filter { expected.contains($0.index) }.count) / Double(expected.count)
        }
        let n = Double(queries.count)
        return (recall / n, exactSeconds / n, indexSeconds / n)
    }
}
