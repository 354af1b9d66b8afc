/// Which items may be recommended: everything, minus an exclusion list, or only an allow list
/// (Spark's and `implicit`'s `items` / `filter_items`).
package struct CandidateFilter: Sendable, Equatable {
    /// Items that must never appear.
    package var excluded: Set<Int>
    /// When set, the only items that may appear.
    package var allowed: Set<Int>?

    /// A filter that lets everything through.
    package static let everything = CandidateFilter()

    /// A filter from an exclusion list and an optional allow list.
    package init(excluded: Set<Int> = [], allowed: Set<Int>? = nil) {
        self.excluded = excluded
        self.allowed = allowed
    }

    /// True when nothing is filtered.
    package var isEverything: Bool { excluded.isEmpty && allowed == nil }

    /// Whether `item` may be recommended.
    @inline(__always) package func permits(_ item: Int) -> Bool {
        !excluded.contains(item) && (allowed?.contains(item) ?? true)
    }

    /// The filter as one flag per item, for the batch paths.
    /// Written from the two lists, not by asking `permits` of every item: two set lookups per
    /// item cost more at a large catalogue than the question the mask filters.
    package func mask(itemCount: Int) -> [Bool] {
        var mask = [Bool](repeating: allowed == nil, count: itemCount)
        for item in allowed ?? [] where item >= 0 && item < itemCount { mask[item] = true }
        for item in excluded where item >= 0 && item < itemCount { mask[item] = false }
        return mask
    }
}
