extension EncoreModel {
    /// Every tag the model knows, in its order; empty when it was trained without tags.
    public var tags: [String] { model.itemTags?.tagNames ?? [] }

    /// The item's tags, most often given first; empty for an untagged item.
    ///
    /// - Throws: `EncoreError.itemNotFound` or `.ambiguousItem`.
    public func tags(ofItem item: String) throws -> [String] {
        let index = try ItemLookup.find(item, in: model)
        guard let tags = model.itemTags else { return [] }
        return tags.tags(ofItem: index).map { tags.tagNames[$0.tag] }
    }
}
