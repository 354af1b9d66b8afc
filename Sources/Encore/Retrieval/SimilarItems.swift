/// Items ranked by the cosine of their factor vectors: "artists like this one".
package enum SimilarItems {
    /// Items with fewer listeners than this are left out of similar-item lists and radio unless
    /// the caller asks otherwise. An item's vector is learned from its listeners' taste alone: with
    /// one listener it is that listener's direction, and every artist only that person plays sits
    /// at cosine 1 to it. On Last.fm 2K the tags a neighbour shares with its query, above what a
    /// random artist with as many listeners shares, grow with its listeners: a neighbour with 1
    /// listener shares 0.14 (tag cosine), 2: 0.24, 4: 0.32, 5: 0.35, 10 or more: 0.47 (the 30
    /// nearest of the 400 most-listened tagged artists; docs/music.md). 5 keeps the neighbours that
    /// share three quarters or more of what established artists share.
    package static let defaultMinimumListeners = 5

    /// The `count` items most similar to `item` (itself excluded), best first, from unit-length
    /// item vectors, skipping anything `filter` does not permit.
    package static func similar(to item: Int, count: Int, normalizedItems: DenseMatrix, filter: CandidateFilter = .everything) -> [ScoredItem] {
        ScratchBuffers.shared.withBuffer(count: normalizedItems.rows) { cosines in
            multiply(normalizedItems, by: normalizedItems.row(item), into: cosines)
            return TopNRecommendation.best(cosines, count: count, excluding: [item], filter: filter)
        }
    }

    /// The `count` items of `model` most similar to `item`, best first, leaving out items with
    /// fewer than `minimumListeners` listeners (`TrainedModel.listenerCounts`; 0 keeps every
    /// item) and anything `filter` does not permit.
    package static func similar(
        to item: Int, count: Int, in model: TrainedModel, minimumListeners: Int = defaultMinimumListeners, filter: CandidateFilter = .everything
    ) -> [ScoredItem] {
        similar(to: [item], count: count, in: model, minimumListeners: minimumListeners, filter: filter)[0]
    }

    /// `similar(to:count:in:minimumListeners:filter:)` for each of `queries` at once: one pass over
    /// the item vectors serves them all (the server batches waiting requests so), and each list
    /// is the same, bit for bit, as the query's alone — every cosine is summed by the one kernel
    /// (`VectorKernels.scores`) in the same order whatever the batch.
    package static func similar(
        to queries: [Int], count: Int, in model: TrainedModel, minimumListeners: Int = defaultMinimumListeners, filter: CandidateFilter = .everything
    ) -> [[ScoredItem]] {
        // The cosines from the raw vectors and their lengths (`TrainedModel.inverseItemLengths`),
        // not a unit-length copy of the catalogue.
        let items = model.factors.itemFactors, k = items.columns, m = queries.count, block = BatchRecommender.itemBlock
        let inverse = model.inverseItemLengths, listeners = model.listenerCounts
        let packed = DenseMatrix(rows: m, columns: k)
        for (row, item) in queries.enumerated() { packed.row(row).update(from: model.unitItemVector(item), count: k) }
        var selectors = [TopK](repeating: TopK(k: count), count: m)
        ScratchBuffers.shared.withBuffer(count: m * block) { scores in
            var start = 0
            while start < items.rows {
                let n = min(block, items.rows - start)
                VectorKernels.scores(packed.storage, m: m, lda: packed.stride, items.row(start), n: n, ldb: items.stride, k: k, into: scores.baseAddress!, ldc: n)
                for row in 0..<m {
                    let cosines = scores.baseAddress! + row * n, query = queries[row]
                    var threshold = selectors[row].threshold
                    // Items arrive in increasing index, so an equal cosine never displaces a kept one.
                    for j in 0..<n {
                        let candidate = start + j, cosine = cosines[j] * inverse[candidate]
                        guard cosine > threshold, candidate != query, listeners[candidate] >= minimumListeners, filter.permits(candidate) else { continue }
                        selectors[row].offer(index: candidate, score: cosine)
                        threshold = selectors[row].threshold
                    }
                }
                start += n
            }
        }
        return selectors.map { $0.sorted() }
    }

    /// `matrix` times `vector` into `out` (one entry per row), whatever `out` held before (with
    /// β = 0 the BLAS does not read it; OpenBLAS 0.3.21 zeroes a NaN or -∞ there in every kernel set).
    private static func multiply(_ matrix: DenseMatrix, by vector: UnsafePointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        BLAS.multiplyVector(matrix.storage, rows: matrix.rows, columns: matrix.columns, lda: matrix.stride, vector, into: out.baseAddress!)
    }
}
