/// Personal top-N lists from any `Recommender`, leaving out what the user already heard.
package enum TopNRecommendation {
    /// The `count` best items for `user`, best first. Items in row `user` of `seen` are left out
    /// (pass nil to keep them), and so is anything `filter` does not permit.
    package static func recommend(
        _ recommender: Recommender, user: Int, count: Int, seen: SparseMatrix?, filter: CandidateFilter = .everything
    ) -> [ScoredItem] {
        ScratchBuffers.shared.withBuffer(count: recommender.itemCount) { scores in
            recommender.scoreItems(forUser: user, into: scores)
            if let seen, user < seen.rowCount { for item in seen.columns(ofRow: user) { scores[Int(item)] = -.infinity } }
            return best(scores, count: count, filter: filter)
        }
    }

    /// The `count` best entries of `scores`, best first, leaving out `excluding` and anything
    /// `filter` does not permit. Marks the excluded entries in `scores` itself: callers pass a
    /// request's own buffer (`ScratchBuffers`), not a copy of it — a second whole-catalogue
    /// buffer per request was, under the server's fixed mmap threshold, a fresh mapping.
    package static func best(_ scores: UnsafeMutableBufferPointer<Float>, count: Int, excluding: [Int] = [], filter: CandidateFilter = .everything) -> [ScoredItem] {
        for item in excluding { scores[item] = -.infinity }
        var top = TopK(k: count)
        for (item, score) in scores.enumerated() where score > top.threshold && filter.permits(item) {
            top.offer(index: item, score: score)
        }
        return top.sorted()
    }
}
