/// The two-way map between a data set's own IDs (any string) and Encore's dense indices 0..<count.
package struct IDIndex: Equatable, Sendable {
    /// The original IDs, by dense index.
    package let ids: [String]
    private let lookup: [String: Int]

    /// An index over `ids`, which must be distinct.
    package init(ids: [String]) throws {
        var lookup = [String: Int](minimumCapacity: ids.count)
        for (index, id) in ids.enumerated() {
            if lookup.updateValue(index, forKey: id) != nil {
                throw EncoreError.invalidArgument("ID '\(id)' appears twice in an ID table")
            }
        }
        self.ids = ids
        self.lookup = lookup
    }

    /// How many IDs there are.
    package var count: Int { ids.count }

    /// The dense index of `id`, or nil when it is unknown.
    package func index(of id: String) -> Int? { lookup[id] }

    /// The original ID at dense index `index`.
    package func id(at index: Int) -> String { ids[index] }

    /// Two indexes are equal when they hold the same IDs in the same order.
    package static func == (lhs: IDIndex, rhs: IDIndex) -> Bool { lhs.ids == rhs.ids }
}
