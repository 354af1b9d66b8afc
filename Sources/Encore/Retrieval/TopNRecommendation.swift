/// Personal top-N lists from any `Recommender`, leaving out what the user already heard.
public enum TopNRecommendation {
    /// The `count` best items for `user`, best first. Items in row `user` of `seen` are left out
    /// (pass nil to keep them); `allowed`, when given, is the only set of candidates.
    public static func recommend(
        _ recommender: Recommender, user: Int, count: Int, seen: SparseMatrix?, allowed: Set<Int>? = nil
    ) -> [ScoredItem] {
        var scores = [Float](repeating: 0, count: recommender.itemCount)
        scores.withUnsafeMutableBufferPointer { recommender.scoreItems(forUser: user, into: $0) }
        if let seen, user < seen.rowCount {
            for item in seen.columns(ofRow: user) { scores[Int(item)] = -.infinity }
        }
        var top = TopK(k: count)
        for (item, score) in scores.enumerated() where score != -.infinity {
            if let allowed, !allowed.contains(item) { continue }
            top.offer(index: item, score: score)
        }
        return top.sorted()
    }
}
