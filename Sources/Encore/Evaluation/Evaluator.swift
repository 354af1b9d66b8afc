/// Scores any `Recommender` on held-out interactions: top-k metrics, AUC, mean percentile rank
/// and coverage, with each user's training items excluded from their list (a training item is
/// never counted as a hit).
package struct Evaluator: Sendable {
    /// Users × items training matrix: what is excluded per user.
    package let train: SparseMatrix
    /// Users × items held-out matrix: what counts as relevant.
    package let test: SparseMatrix
    /// Cut-off of the top-k metrics.
    package let k: Int
    /// Threads to use; results do not depend on it.
    package let threads: Int

    /// An evaluator for a split.
    package init(split: TrainTestSplit, k: Int = 10, threads: Int = Parallel.defaultThreadCount) throws {
        try self.init(train: split.train.userItemMatrix(), test: split.test.userItemMatrix(), k: k, threads: threads)
    }

    /// An evaluator over two matrices of the same shape.
    package init(train: SparseMatrix, test: SparseMatrix, k: Int = 10, threads: Int = Parallel.defaultThreadCount) throws {
        guard train.rowCount == test.rowCount, train.columnCount == test.columnCount else {
            throw EncoreError.invalidArgument("train and test matrices differ in shape")
        }
        guard k >= 1 else { throw EncoreError.invalidArgument("--k must be at least 1 (got \(k))") }
        self.train = train
        self.test = test
        self.k = k
        self.threads = max(1, threads)
    }

    /// The users that are scored: held-out items and at least one training item.
    package var scoredUsers: [Int] {
        (0..<test.rowCount).filter { !test.range(ofRow: $0).isEmpty && !train.range(ofRow: $0).isEmpty }
    }

    /// Scores `recommender` (which must have been trained on `train`).
    package func evaluate(_ recommender: Recommender) -> EvaluationResult {
        let users = scoredUsers
        let chunkSize = 32
        let chunks = Parallel.chunkCount(count: users.count, chunkSize: chunkSize)
        var partials = [Partial](repeating: Partial(), count: chunks)
        var recommended = [[Int]](repeating: [], count: chunks)
        let itemCount = recommender.itemCount
        partials.withUnsafeMutableBufferPointer { partials in
        recommended.withUnsafeMutableBufferPointer { recommended in
            Parallel.forEachChunk(count: users.count, chunkSize: chunkSize, threads: threads) { range, chunk in
                var partial = Partial()
                var items: [Int] = []
                var scores = [Float](repeating: 0, count: itemCount)
                var seen = [Bool](repeating: false, count: itemCount)
                for position in range {
                    let user = users[position]
                    scores.withUnsafeMutableBufferPointer { recommender.scoreItems(forUser: user, into: $0) }
                    for item in train.columns(ofRow: user) { seen[Int(item)] = true }
                    defer { for item in train.columns(ofRow: user) { seen[Int(item)] = false } }
                    var top = TopK(k: k)
                    for item in 0..<itemCount where !seen[item] && scores[item] > top.threshold { top.offer(index: item, score: scores[item]) }
                    let ranked = top.sorted().map(\.index)
                    items.append(contentsOf: ranked)
                    let heldOut = test.range(ofRow: user).map { (item: Int(test.indices[$0]), weight: test.values[$0]) }
                    let metrics = RankingMetrics(ranked: ranked, relevant: Set(heldOut.map(\.item)), k: k)
                    let full = scores.withUnsafeBufferPointer { FullRankingMetrics(scores: $0, seen: seen, heldOut: heldOut) }
                    partial.add(metrics, full)
                }
                partials[chunk] = partial
                recommended[chunk] = items
            }
        }}
        let total = partials.reduce(Partial()) { $0.merged($1) }
        var covered = [Bool](repeating: false, count: itemCount)
        for list in recommended { for item in list { covered[item] = true } }
        let n = Double(max(1, users.count))
        return EvaluationResult(
            k: k, users: users.count, precision: total.precision / n, recall: total.recall / n, map: total.map / n,
            ndcg: total.ndcg / n, auc: total.auc / n,
            meanPercentileRank: total.weight > 0 ? total.percentile / total.weight : 0.5,
            coverage: Double(covered.filter { $0 }.count) / Double(max(1, itemCount))
        )
    }

    /// Per-chunk sums, combined in chunk order so results never depend on thread count.
    private struct Partial {
        var precision = 0.0, recall = 0.0, map = 0.0, ndcg = 0.0, auc = 0.0, percentile = 0.0, weight = 0.0

        mutating func add(_ metrics: RankingMetrics, _ full: FullRankingMetrics) {
            precision += metrics.precision
            recall += metrics.recall
            map += metrics.averagePrecision
            ndcg += metrics.ndcg
            auc += full.auc
            percentile += full.weightedPercentileSum
            weight += full.weightSum
        }

        func merged(_ other: Partial) -> Partial {
            Partial(precision: precision + other.precision, recall: recall + other.recall, map: map + other.map,
                    ndcg: ndcg + other.ndcg, auc: auc + other.auc, percentile: percentile + other.percentile, weight: weight + other.weight)
        }
    }
}
