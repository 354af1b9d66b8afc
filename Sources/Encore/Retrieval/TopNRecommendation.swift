/// Personal top-N lists from any `Recommender`, leaving out what the user already heard.
package enum TopNRecommendation {
    /// The `count` best items for `user`, best first. Items in row `user` of `seen` are left out
    /// (pass nil to keep them), and so is anything `filter` does not permit.
    package static func recommend(
        _ recommender: Recommender, user: Int, count: Int, seen: SparseMatrix?, filter: CandidateFilter = .everything
    ) -> [ScoredItem] {
        var scores = [Float](repeating: 0, count: recommender.itemCount)
        scores.withUnsafeMutableBufferPointer { recommender.scoreItems(forUser: user, into: $0) }
        let excluded = seen.map { user < $0.rowCount ? Array($0.columns(ofRow: user).map(Int.init)) : [] } ?? []
        return best(consume scores, count: count, excluding: excluded, filter: filter)
    }

    /// The `count` best entries of `scores`, best first, leaving out `excluding` and anything
    /// `filter` does not permit. `scores` is taken over (callers pass `consume`): marking the
    /// excluded entries then writes into the caller's buffer instead of a copy of it, which on
    /// the reference catalogue was a second 1.2 MB buffer per request — under the server's fixed
    /// mmap threshold a fresh mapping, faulted in page by page.
    package static func best(_ scores: consuming [Float], count: Int, excluding: [Int] = [], filter: CandidateFilter = .everything) -> [ScoredItem] {
        var scores = scores
        for item in excluding { scores[item] = -.infinity }
        var top = TopK(k: count)
        for (item, score) in scores.enumerated() where score > top.threshold && filter.permits(item) {
            top.offer(index: item, score: score)
        }
        return top.sorted()
    }
}
