import Foundation

/// The top-k metrics of one user's ranked list against the items they actually went on to play.
package struct RankingMetrics: Equatable, Sendable {
    /// Hits in the top k, divided by k (a list shorter than k is not padded in the user's favour).
    package var precision: Double
    /// Hits in the top k, divided by the number of relevant items.
    package var recall: Double
    /// Average precision at k: Σ over hit positions j ≤ k of precision@j, divided by min(k, relevant).
    package var averagePrecision: Double
    /// Discounted cumulative gain at k (binary relevance, 1/log2(1 + position)) over its ideal.
    package var ndcg: Double

    /// The metrics of `ranked` (item indices, best first) against `relevant` at cut-off `k`.
    package init(ranked: [Int], relevant: Set<Int>, k: Int) {
        precondition(k > 0, "k must be positive")
        guard !relevant.isEmpty else {
            self.init(precision: 0, recall: 0, averagePrecision: 0, ndcg: 0)
            return
        }
        var hits = 0
        var precisionSum = 0.0
        var dcg = 0.0
        for (position, item) in ranked.prefix(k).enumerated() where relevant.contains(item) {
            hits += 1
            precisionSum += Double(hits) / Double(position + 1)
            dcg += 1 / log2(Double(position + 2))
        }
        let ideal = (0..<min(k, relevant.count)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
        self.init(
            precision: Double(hits) / Double(k), recall: Double(hits) / Double(relevant.count),
            averagePrecision: precisionSum / Double(min(k, relevant.count)), ndcg: dcg / ideal
        )
    }

    /// Metrics with the given values.
    package init(precision: Double, recall: Double, averagePrecision: Double, ndcg: Double) {
        self.precision = precision
        self.recall = recall
        self.averagePrecision = averagePrecision
        self.ndcg = ndcg
    }
}

/// Whole-catalogue ranking quality of one user's scores: AUC and the percentile ranks of
/// held-out items, over the candidate items (everything the user did not play in training).
package struct FullRankingMetrics: Equatable, Sendable {
    /// Probability that a held-out item outscores a candidate the user did not play (ties ½).
    package var auc: Double
    /// Σ weight·percentile rank over held-out items (0 = top of the list, 1 = bottom; ties
    /// take the mid-rank), and Σ weight — for the expected percentile ranking of Hu et al. 2008.
    package var weightedPercentileSum: Double
    /// Σ weight of the held-out items.
    package var weightSum: Double

    /// Computes the metrics from every item's `scores`, the user's training items (`seen[item]`
    /// is true for them), and the held-out items with their weights.
    package init(scores: UnsafeBufferPointer<Float>, seen: [Bool], heldOut: [(item: Int, weight: Float)]) {
        // One pass over the candidates, each placed among the held-out scores sorted ascending:
        // a candidate below position j's score is "below" every held-out item from j on, so
        // difference arrays give, per held-out item, how many candidates lie below and level.
        let positives = heldOut.map { scores[$0.item] }.sorted()
        let h = positives.count
        var belowStarts = [Int](repeating: 0, count: h + 1)
        var levelStarts = [Int](repeating: 0, count: h + 1)
        var candidates = 0
        for item in 0..<scores.count where !seen[item] {
            candidates += 1
            let (low, upper) = FullRankingMetrics.levelRange(of: scores[item], in: positives)
            belowStarts[upper] += 1
            levelStarts[low] += 1
            levelStarts[upper] -= 1
        }
        var below = [Int](repeating: 0, count: h), level = [Int](repeating: 0, count: h)
        var runningBelow = 0, runningLevel = 0
        for j in 0..<h {
            runningBelow += belowStarts[j]
            runningLevel += levelStarts[j]
            below[j] = runningBelow
            level[j] = runningLevel
        }
        let negatives = candidates - h
        var aucSum = 0.0, percentileSum = 0.0, weightSum = 0.0
        for (item, weight) in heldOut {
            // Position of this score among the sorted held-out scores, and how many held-out
            // items are below or level with it (to take them out of the negatives).
            let (low, upper) = FullRankingMetrics.levelRange(of: scores[item], in: positives)
            let candidatesBelow = below[low], candidatesLevel = level[low]
            if negatives > 0 {
                let negativesBelow = candidatesBelow - low
                let negativesLevel = candidatesLevel - (upper - low)
                aucSum += (Double(negativesBelow) + 0.5 * Double(negativesLevel)) / Double(negatives)
            } else {
                aucSum += 1
            }
            let above = candidates - candidatesBelow - candidatesLevel
            let rank = candidates > 1 ? (Double(above) + 0.5 * Double(candidatesLevel - 1)) / Double(candidates - 1) : 0
            percentileSum += Double(weight) * rank
            weightSum += Double(weight)
        }
        auc = heldOut.isEmpty ? 0.5 : aucSum / Double(heldOut.count)
        weightedPercentileSum = percentileSum
        self.weightSum = weightSum
    }

    /// Where `score` falls among `sorted` (ascending): `below` scores are less than it, and
    /// those from `below` up to `upToLevel` equal it. Two binary searches.
    @inline(__always) private static func levelRange(of score: Float, in sorted: [Float]) -> (below: Int, upToLevel: Int) {
        var low = 0, high = sorted.count
        while low < high { let mid = (low + high) / 2; if sorted[mid] < score { low = mid + 1 } else { high = mid } }
        var upper = low
        high = sorted.count
        while upper < high { let mid = (upper + high) / 2; if sorted[mid] <= score { upper = mid + 1 } else { high = mid } }
        return (low, upper)
    }
}
