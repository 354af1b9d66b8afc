import Encore

/// The `tag` argument of `/v1/users/{id}/recommendations` and `/v1/radio`.
extension APIRouter {
    /// Every `tag` argument as a tag index of `model`: 404 for a tag the model does not have
    /// (with the closest names), 400 when the model has no tags at all.
    func tagIndices(_ request: HTTPRequest, _ model: TrainedModel) throws -> [Int] {
        let names = try identifiers(request, "tag")
        guard model.itemTags != nil else { return try model.tagIndices(names) }
        do { return try model.tagIndices(names) } catch let error as EncoreError { throw Failure(status: 404, message: error.description) }
    }

    /// A listener's top items among those carrying every tag of `tags`. Not coalesced: the
    /// batch path scores the whole catalogue for each listener, a filter only a single one takes.
    func tagged(user: Int, count: Int, includeSeen: Bool, tags: [Int], _ model: TrainedModel) throws -> [ScoredItem] {
        let filter = try CandidateFilter.everything.keepingOnly(tagged: tags, in: model)
        return TopNRecommendation.recommend(model, user: user, count: count, seen: includeSeen ? nil : model.interactions, filter: filter)
    }
}
