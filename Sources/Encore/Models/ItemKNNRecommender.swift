import Foundation

/// How the users × items matrix is weighted before item–item similarities are computed.
package enum NeighbourWeighting: String, Codable, Sendable, CaseIterable {
    /// Every play counts 1 (binary).
    case none
    /// Okapi BM25 on play counts (K1 = 1.2, B = 0.75), users as documents.
    case bm25
    /// Play count × inverse user frequency of the item.
    case tfidf
}

/// Item–item nearest neighbours: an item scores by its cosine similarity to the items the user
/// played, summed with the user's weights; each item keeps only its `neighbours` most similar
/// items. The classic collaborative-filtering baseline.
package struct ItemKNNRecommender: Recommender, Sendable {
    /// The weighted users × items matrix.
    package let weighted: SparseMatrix
    /// Each item's neighbours (item indices) and cosines, most similar first.
    package let neighbourItems: [[UInt32]]
    /// Cosines matching `neighbourItems`.
    package let neighbourScores: [[Float]]
    /// Number of users (rows of the score matrix).
    package var userCount: Int { weighted.rowCount }
    /// Number of items (columns of the score matrix).
    package var itemCount: Int { weighted.columnCount }

    /// Builds the neighbour lists from a users × items matrix of raw weights.
    package init(_ userItems: SparseMatrix, weighting: NeighbourWeighting = .none, neighbours: Int = 100, threads: Int = Parallel.defaultThreadCount) {
        let weighted = ItemKNNRecommender.weight(userItems, weighting)
        let itemUsers = weighted.transposed(threads: threads)
        var norms = [Float](repeating: 0, count: weighted.columnCount)
        for item in 0..<itemUsers.rowCount {
            var sum: Float = 0
            for p in itemUsers.range(ofRow: item) { sum += itemUsers.values[p] * itemUsers.values[p] }
            norms[item] = sum.squareRoot()
        }
        let itemCount = weighted.columnCount
        var lists = [[ScoredItem]](repeating: [], count: itemCount)
        lists.withUnsafeMutableBufferPointer { lists in
            Parallel.forEachChunk(count: itemCount, chunkSize: 64, threads: threads) { items, _ in
                var accumulator = [Float](repeating: 0, count: itemCount)
                var touched: [Int] = []
                for item in items {
                    // Dot products with every co-listened item, through the users who played `item`.
                    for p in itemUsers.range(ofRow: item) {
                        let user = Int(itemUsers.indices[p]), weight = itemUsers.values[p]
                        for q in weighted.range(ofRow: user) {
                            let other = Int(weighted.indices[q])
                            if other == item { continue }
                            if accumulator[other] == 0 { touched.append(other) }
                            accumulator[other] += weight * weighted.values[q]
                        }
                    }
                    var top = TopK(k: neighbours)
                    for other in touched {
                        let denominator = norms[item] * norms[other]
                        if denominator > 0 { top.offer(index: other, score: accumulator[other] / denominator) }
                        accumulator[other] = 0
                    }
                    touched.removeAll(keepingCapacity: true)
                    lists[item] = top.sorted()
                }
            }
        }
        self.weighted = weighted
        neighbourItems = lists.map { $0.map { UInt32($0.index) } }
        neighbourScores = lists.map { $0.map(\.score) }
    }

    /// Writes the user's score for every item into `scores`.
    package func scoreItems(forUser user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        for item in 0..<itemCount { scores[item] = 0 }
        for p in weighted.range(ofRow: user) {
            let played = Int(weighted.indices[p]), weight = weighted.values[p]
            for (other, cosine) in zip(neighbourItems[played], neighbourScores[played]) { scores[Int(other)] += weight * cosine }
        }
    }

    /// Applies `weighting` to a users × items matrix.
    static func weight(_ matrix: SparseMatrix, _ weighting: NeighbourWeighting) -> SparseMatrix {
        var values = matrix.values.array
        let users = Double(max(1, matrix.rowCount))
        var listeners = [Double](repeating: 0, count: matrix.columnCount)
        for item in matrix.indices { listeners[Int(item)] += 1 }
        switch weighting {
        case .none:
            for p in 0..<values.count { values[p] = values[p] > 0 ? 1 : 0 }
        case .tfidf:
            for p in 0..<values.count {
                values[p] = Float(Double(values[p]) * log(users / listeners[Int(matrix.indices[p])]))
            }
        case .bm25:
            let k1 = 1.2, b = 0.75
            let lengths = (0..<matrix.rowCount).map { Double(matrix.range(ofRow: $0).count) }
            let averageLength = lengths.reduce(0, +) / users
            for user in 0..<matrix.rowCount {
                let normalization = k1 * (1 - b + b * lengths[user] / max(averageLength, 1))
                for p in matrix.range(ofRow: user) {
                    let idf = log(users) - log1p(listeners[Int(matrix.indices[p])])
                    let tf = Double(values[p])
                    values[p] = Float(tf * (k1 + 1) / (tf + normalization) * max(idf, 0))
                }
            }
        }
        return SparseMatrix(uncheckedRowCount: matrix.rowCount, columnCount: matrix.columnCount, offsets: matrix.offsets, indices: matrix.indices, values: values)
    }
}
