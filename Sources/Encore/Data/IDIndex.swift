/// The two-way map between a data set's own IDs (any string) and Encore's dense indices 0..<count.
/// Built from strings (a [String] and a dictionary), or read in place from a model file
/// (`MappedStringTable`, whose hash table the file stores) so that loading builds neither.
package struct IDIndex: Equatable, Sendable {
    private enum Storage {
        case strings([String], lookup: [String: Int])
        case mapped(MappedStringTable)
    }

    private let storage: Storage

    /// An index over `ids`, which must be distinct.
    package init(ids: [String]) throws {
        var lookup = [String: Int](minimumCapacity: ids.count)
        for (index, id) in ids.enumerated() {
            if lookup.updateValue(index, forKey: id) != nil {
                throw EncoreError.invalidArgument("ID '\(id)' appears twice in an ID table")
            }
        }
        storage = .strings(ids, lookup: lookup)
    }

    /// An index over a model file's mapped ID table.
    init(mapped table: MappedStringTable) { storage = .mapped(table) }

    /// The original IDs, by dense index (decoded on first use for a mapped table).
    package var ids: [String] {
        switch storage {
        case .strings(let ids, _): ids
        case .mapped(let table): table.strings
        }
    }

    /// How many IDs there are.
    package var count: Int {
        switch storage {
        case .strings(let ids, _): ids.count
        case .mapped(let table): table.count
        }
    }

    /// The dense index of `id`, or nil when it is unknown.
    package func index(of id: String) -> Int? {
        switch storage {
        case .strings(_, let lookup): lookup[id]
        case .mapped(let table): table.index(of: id)
        }
    }

    /// The original ID at dense index `index`.
    package func id(at index: Int) -> String {
        switch storage {
        case .strings(let ids, _): ids[index]
        case .mapped(let table): table[index]
        }
    }

    /// Two indexes are equal when they hold the same IDs in the same order.
    package static func == (lhs: IDIndex, rhs: IDIndex) -> Bool {
        lhs.count == rhs.count && (0..<lhs.count).allSatisfy { lhs.id(at: $0) == rhs.id(at: $0) }
    }
}
