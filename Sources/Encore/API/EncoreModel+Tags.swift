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

    /// A tag station ("shoegaze radio"): it opens with the artists carrying the tags and moves
    /// on to their nearest neighbours, as varied as artist radio, never repeating an artist.
    ///
    /// - Parameters:
    ///   - tags: One or more tags, case-insensitive.
    ///   - length, userID, diversity, randomSeed, excluding, candidates, minimumListeners: as for `radio(from:…)`.
    /// - Throws: `EncoreError.invalidArgument` for a model without tags, a tag it does not have
    ///   (with the closest names) or too few playable artists; the errors of `radio(from:…)`.
    public func tagStation(
        _ tags: [String], length: Int = 20, for userID: String? = nil, diversity: Float = 0.3, randomSeed: UInt64 = 0,
        excluding: [String] = [], among candidates: [String]? = nil, minimumListeners: Int = EncoreModel.defaultMinimumListeners
    ) throws -> [StationPick] {
        guard !tags.isEmpty else { throw EncoreError.invalidParameter(name: "tags", value: "[]", requirement: "name at least one tag") }
        let options = try radioOptions(length: length, diversity: diversity, randomSeed: randomSeed, minimumListeners: minimumListeners)
        let picks = try TagRadio.station(
            tags: try model.tagIndices(tags), user: try userID.map { try model.userIndex($0) }, options: options, in: model,
            filter: try filter(excluding: excluding, among: candidates)
        )
        return picks.map { StationPick(itemID: model.itemIDs.id(at: $0.item), name: model.name(ofItem: $0.item), score: $0.score, reason: $0.reason) }
    }
}
