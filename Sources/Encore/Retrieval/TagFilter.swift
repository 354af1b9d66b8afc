extension CandidateFilter {
    /// This filter, further keeping only the items that carry every tag of `tags` (tag indices):
    /// `recommend --tag`. No tags leaves it as it is.
    package func keepingOnly(tagged tags: [Int], in model: TrainedModel) throws -> CandidateFilter {
        guard !tags.isEmpty else { return self }
        guard let itemTags = model.itemTags else { throw EncoreError.invalidArgument("the model has no tags: train it with item tags") }
        var carrying: Set<Int>? = nil
        for tag in Set(tags) {
            let items = Set(itemTags.items(withTag: tag).map(\.item))
            carrying = carrying.map { $0.intersection(items) } ?? items
        }
        var filter = self
        filter.allowed = allowed.map { $0.intersection(carrying!) } ?? carrying
        return filter
    }
}
