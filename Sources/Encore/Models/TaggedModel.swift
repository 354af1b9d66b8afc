/// What attaching tags to a model did: how many items were placed from their tags alone.
package struct TagPlacementReport: Sendable, Equatable {
    /// Played items with at least one tag.
    package var taggedItems = 0
    /// Tagged items nobody played, added to the model at the vector their tags map to.
    package var placedItems = 0
    /// Tagged items nobody played whose tags are all outside the map's vocabulary: left out.
    package var unplaceableItems = 0
}

extension TrainedModel {
    /// This model with `assignments` attached as its items' tags. Items tagged but never played
    /// are added, each at the vector a `TagMap` fitted on the played items gives its tags, so
    /// they can be recommended, listed as similar and seeded in radio like any other; they have
    /// no listeners (no column entries). `names` gives display names for the added items' IDs
    /// (nil: none), used only when the model has names.
    package func addingTags(
        _ assignments: TagAssignments, names: ([String]) throws -> [String]? = { _ in nil },
        regularization: Double = TagMap.defaultRegularization
    ) throws -> (TrainedModel, TagPlacementReport) {
        var report = TagPlacementReport()
        let unplayed = assignments.itemIDs.ids.filter { itemIDs.index(of: $0) == nil }
        let widened = try IDIndex(ids: itemIDs.ids + unplayed)
        let tags = try ItemTags(assignments, itemIDs: widened)
        let listeners = listenerCounts
        let fitted = (0..<itemCount).filter { listeners[$0] > 0 && !tags.matrix.range(ofRow: $0).isEmpty }
        report.taggedItems = fitted.count
        guard !fitted.isEmpty else { throw EncoreError.invalidArgument("no played item has a tag: the tags' item IDs must be the plays' item IDs") }
        let map = try TagMap(tags: tags, targets: factors.itemFactors, items: fitted, regularization: regularization)
        var placed: [(id: String, vector: [Float])] = []
        for (offset, id) in unplayed.enumerated() {
            if let vector = map.place(itemCount + offset, tags: tags) { placed.append((id, vector)) } else { report.unplaceableItems += 1 }
        }
        report.placedItems = placed.count
        let k = factors.factors
        let items = DenseMatrix(rows: itemCount + placed.count, columns: k)
        for row in 0..<itemCount { items.row(row).update(from: factors.itemFactors.row(row), count: k) }
        for (offset, entry) in placed.enumerated() { entry.vector.withUnsafeBufferPointer { items.row(itemCount + offset).update(from: $0.baseAddress!, count: k) } }
        let allIDs = try IDIndex(ids: itemIDs.ids + placed.map(\.id))
        var allNames = itemNames
        if let known = itemNames {
            let added = try names(placed.map(\.id)) ?? []
            allNames = known + placed.indices.map { $0 < added.count ? added[$0] : "" }
        }
        return (try TrainedModel(
            configuration: configuration, userIDs: userIDs, itemIDs: allIDs, itemNames: allNames,
            factors: FactorModel(userFactors: factors.userFactors, itemFactors: items, lossHistory: factors.lossHistory),
            interactions: try interactions.widened(to: allIDs.count), summary: summary, itemTags: try ItemTags(assignments, itemIDs: allIDs),
            placedItems: placedItems + placed.count
        ), report)
    }
}

extension TrainedModel {
    /// The first item placed from its tags: they are the last `placedItems` of the item table.
    package var firstPlacedItem: Int { itemCount - placedItems }
}

extension SparseMatrix {
    /// The same rows with empty columns added up to `columnCount`.
    package func widened(to columnCount: Int) throws -> SparseMatrix {
        try SparseMatrix(rowCount: rowCount, columnCount: columnCount, offsets: offsets, indices: indices, values: values)
    }
}
