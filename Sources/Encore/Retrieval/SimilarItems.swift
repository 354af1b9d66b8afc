/// Items ranked by the cosine of their factor vectors: "artists like this one".
package enum SimilarItems {
    /// The `count` items most similar to `item` (itself excluded), best first, from unit-length
    /// item vectors, skipping anything `filter` does not permit.
    package static func similar(to item: Int, count: Int, normalizedItems: DenseMatrix, filter: CandidateFilter = .everything) -> [ScoredItem] {
        var cosines = [Float](repeating: 0, count: normalizedItems.rows)
        cosines.withUnsafeMutableBufferPointer {
            BLAS.multiplyVector(normalizedItems.storage, rows: normalizedItems.rows, columns: normalizedItems.columns, lda: normalizedItems.stride, normalizedItems.row(item), into: $0.baseAddress!)
        }
        return TopNRecommendation.best(cosines, count: count, excluding: [item], filter: filter)
    }
}
