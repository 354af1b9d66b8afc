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
        // The cosines from the raw vectors and their lengths (`TrainedModel.inverseItemLengths`),
        // not a unit-length copy of the catalogue.
        let items = model.factors.itemFactors, inverse = model.inverseItemLengths
        return ScratchBuffers.shared.withBuffer(count: items.rows) { cosines in
            multiply(items, by: model.unitItemVector(item), into: cosines)
            for candidate in cosines.indices { cosines[candidate] *= inverse[candidate] }
            if minimumListeners > 0 {
                let listeners = model.listenerCounts
                for candidate in cosines.indices where listeners[candidate] < minimumListeners { cosines[candidate] = -.infinity }
            }
            return TopNRecommendation.best(cosines, count: count, excluding: [item], filter: filter)
        }
    }

    /// `matrix` times `vector` into `out` (one entry per row), whatever `out` held before (with
    /// β = 0 the BLAS does not read it; OpenBLAS 0.3.21 zeroes a NaN or -∞ there in every kernel set).
    private static func multiply(_ matrix: DenseMatrix, by vector: UnsafePointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        BLAS.multiplyVector(matrix.storage, rows: matrix.rows, columns: matrix.columns, lda: matrix.stride, vector, into: out.baseAddress!)
    }
}
