/// Listeners ranked by the cosine of their factor vectors: "people who listen like you".
package enum SimilarUsers {
    /// The `count` users most similar to `user` (itself excluded), best first.
    package static func similar(to user: Int, count: Int, in model: TrainedModel) -> [ScoredItem] {
        SimilarItems.similar(to: user, count: count, normalizedItems: model.normalizedUserFactors)
    }
}
