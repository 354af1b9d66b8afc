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
        TopNRecommendation.best(cosines(to: item, normalizedItems), count: count, excluding: [item], filter: filter)
    }

    /// The `count` items of `model` most similar to `item`, best first, leaving out items with
    /// fewer than `minimumListeners` listeners (`TrainedModel.listenerCounts`; 0 keeps every
    /// item) and anything `filter` does not permit.
    package static func similar(
        to item: Int, count: Int, in model: TrainedModel, minimumListeners: Int = defaultMinimumListeners, filter: CandidateFilter = .everything
    ) -> [ScoredItem] {
        var scores = cosines(to: item, in: model)
        if minimumListeners > 0 {
            let listeners = model.listenerCounts
            for candidate in scores.indices where listeners[candidate] < minimumListeners { scores[candidate] = -.infinity }
        }
        return TopNRecommendation.best(consume scores, count: count, excluding: [item], filter: filter)
    }

    /// The cosine of every item's vector with `item`'s, from the raw vectors and their lengths
    /// (`TrainedModel.inverseItemLengths`), not a unit-length copy of the catalogue.
    private static func cosines(to item: Int, in model: TrainedModel) -> [Float] {
        let items = model.factors.itemFactors, query = model.unitItemVector(item), inverse = model.inverseItemLengths
        var cosines = [Float](repeating: 0, count: items.rows)
        cosines.withUnsafeMutableBufferPointer { cosines in
            BLAS.multiplyVector(items.storage, rows: items.rows, columns: items.columns, lda: items.stride, query, into: cosines.baseAddress!)
            for candidate in cosines.indices { cosines[candidate] *= inverse[candidate] }
        }
        return cosines
    }

    /// The cosine of every item's vector with `item`'s.
    private static func cosines(to item: Int, _ normalizedItems: DenseMatrix) -> [Float] {
        var cosines = [Float](repeating: 0, count: normalizedItems.rows)
        cosines.withUnsafeMutableBufferPointer {
            BLAS.multiplyVector(normalizedItems.storage, rows: normalizedItems.rows, columns: normalizedItems.columns, lda: normalizedItems.stride, normalizedItems.row(item), into: $0.baseAddress!)
        }
        return cosines
    }
}
