/// The tags of a model's items: a row per model item (empty for an untagged one), a column per
/// tag, weighted by how often the tag was given. What stations, tag filters, explanations and
/// the cold-start placement read; the model file keeps it.
package final class ItemTags: Sendable {
    /// Tag names by tag index.
    package let tagNames: [String]
    /// Model items × tags.
    package let matrix: SparseMatrix
    // Derived on first use: a tag station needs the tag's items, a lookup the index by name.
    private let itemsByTagOnce = ComputedOnce<SparseMatrix>()
    private let indexByNameOnce = ComputedOnce<[String: Int]>()

    /// Tags from their parts, checked for consistent shapes.
    package init(tagNames: [String], matrix: SparseMatrix) throws {
        guard matrix.columnCount == tagNames.count else {
            throw EncoreError.invalidArgument("item tags disagree in shape: \(tagNames.count) tag names, \(matrix.columnCount) tag columns")
        }
        self.tagNames = tagNames
        self.matrix = matrix
    }

    /// `assignments` laid over a model's items: rows in `itemIDs`' order, an item the
    /// assignments do not name untagged. Items tagged but not in `itemIDs` are left out.
    package convenience init(_ assignments: TagAssignments, itemIDs: IDIndex) throws {
        var rows: [UInt32] = [], columns: [UInt32] = [], values: [Float] = []
        let source = assignments.matrix
        for item in 0..<itemIDs.count {
            guard let row = assignments.itemIDs.index(of: itemIDs.id(at: item)) else { continue }
            for p in source.range(ofRow: row) {
                rows.append(UInt32(item))
                columns.append(source.indices[p])
                values.append(source.values[p])
            }
        }
        let matrix = SparseMatrix(rowCount: itemIDs.count, columnCount: assignments.tagNames.count, rows: rows, columns: columns, values: values)
        try self.init(tagNames: assignments.tagNames, matrix: matrix)
    }

    /// Tags × items: each tag's items and weights.
    package var itemsByTag: SparseMatrix { itemsByTagOnce.value { matrix.transposed() } }

    /// The tags of `item` with their weights, heaviest first (ties by name).
    package func tags(ofItem item: Int) -> [(tag: Int, weight: Float)] {
        matrix.range(ofRow: item).map { (Int(matrix.indices[$0]), matrix.values[$0]) }
            .sorted { ($0.weight, tagNames[$1.tag]) > ($1.weight, tagNames[$0.tag]) }
    }

    /// The items tagged `tag`, with the tag's weight on each.
    package func items(withTag tag: Int) -> [(item: Int, weight: Float)] {
        let byTag = itemsByTag
        return byTag.range(ofRow: tag).map { (Int(byTag.indices[$0]), byTag.values[$0]) }
    }

    /// The tag index for a name typed by a person (case-insensitive); an unknown name is an
    /// error listing the closest tag names.
    package func find(_ query: String) throws -> Int {
        let key = query.trimmingCharacters(in: .whitespaces).lowercased()
        let index = indexByNameOnce.value {
            var index: [String: Int] = [:]
            for (tag, name) in tagNames.enumerated() where index[name.lowercased()] == nil { index[name.lowercased()] = tag }
            return index
        }
        if let tag = index[key] { return tag }
        let scalars = Array(key.unicodeScalars)
        let closest = index.keys.map { name -> (Int, String) in
            let bonus = name.contains(key) ? -6 : 0
            return (ItemLookup.editDistance(scalars, Array(name.unicodeScalars), limit: 12) + bonus, name)
        }.sorted { $0 < $1 }.prefix(5).map { tagNames[index[$0.1]!] }
        throw EncoreError.invalidArgument("no tag '\(query)'" + (closest.isEmpty ? "" : "; closest: \(closest.joined(separator: ", "))"))
    }

    /// The tags `item` and `other` both have, strongest in both first (by the smaller of the
    /// two weights, each relative to its item's heaviest tag), at most `limit`.
    package func shared(_ item: Int, _ other: Int, limit: Int = 3) -> [String] {
        let mine = tags(ofItem: item), theirs = tags(ofItem: other)
        guard let myTop = mine.first?.weight, let theirTop = theirs.first?.weight, myTop > 0, theirTop > 0 else { return [] }
        let theirWeights = Dictionary(theirs.map { ($0.tag, $0.weight / theirTop) }, uniquingKeysWith: +)
        return mine.compactMap { entry -> (String, Float)? in
            guard let weight = theirWeights[entry.tag] else { return nil }
            return (tagNames[entry.tag], min(entry.weight / myTop, weight))
        }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }.prefix(limit).map(\.0)
    }
}

extension TrainedModel {
    /// The tag indices of names a person typed (case-insensitive); an error for a model
    /// without tags or a tag it does not have (with the closest names).
    package func tagIndices(_ names: [String]) throws -> [Int] {
        guard !names.isEmpty else { return [] }
        guard let itemTags else { throw EncoreError.invalidArgument("the model has no tags: train it with item tags (encore train --item-tags FILE)") }
        return try names.map { try itemTags.find($0) }
    }
}
