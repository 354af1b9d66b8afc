/// Items ranked by the cosine of their factor vectors: "artists like this one".
public enum SimilarItems {
    /// The `count` items most similar to `item` (itself excluded), best first, from unit-length
    /// item vectors. `allowed`, when given, is the only set of candidates.
    public static func similar(to item: Int, count: Int, normalizedItems: DenseMatrix, allowed: Set<Int>? = nil) -> [ScoredItem] {
        let k = normalizedItems.columns
        let query = normalizedItems.row(item)
        var top = TopK(k: count)
        for other in 0..<normalizedItems.rows where other != item {
            if let allowed, !allowed.contains(other) { continue }
            top.offer(index: other, score: VectorKernels.dot(query, normalizedItems.row(other), k))
        }
        return top.sorted()
    }
}
