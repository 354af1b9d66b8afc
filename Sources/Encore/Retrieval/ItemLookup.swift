/// Finds an item by what a person types: its ID, or — where the data set has names — its name,
/// case-insensitively. An unknown name lists the closest names; an ambiguous one lists the matches.
package enum ItemLookup {
    /// The item index for `query` in `model`.
    package static func find(_ query: String, in model: TrainedModel) throws -> Int {
        if let index = model.itemIDs.index(of: query) { return index }
        let key = query.lowercased()
        if let matches = model.itemsByLowercasedName[key] {
            if matches.count == 1 { return matches[0] }
            throw EncoreError.ambiguousItem(query: query, matches: matches.map { "\(model.itemIDs.id(at: $0)) (\(model.name(ofItem: $0) ?? ""))" })
        }
        throw EncoreError.itemNotFound(query: query, suggestions: closest(to: key, in: model))
    }

    /// Up to five names (or IDs, where there are no names) nearest to `key` by edit distance,
    /// preferring ones that contain it.
    static func closest(to key: String, in model: TrainedModel) -> [String] {
        let candidates: [(text: String, item: Int)]
        if model.itemNames != nil {
            candidates = model.itemsByLowercasedName.map { ($0.key, $0.value[0]) }
        } else {
            candidates = model.itemIDs.ids.enumerated().map { ($0.element.lowercased(), $0.offset) }
        }
        return nearest(to: key, among: candidates, count: 5).map { item in
            let id = model.itemIDs.id(at: item)
            if let name = model.name(ofItem: item) { return "\(name) (\(id))" }
            return id
        }
    }

    /// The items of the `count` candidates nearest to `key` by edit distance, preferring ones that
    /// contain it (ties by text). The page's search ranks accent-folded names with it, so that
    /// a misspelled name finds there what the CLI suggests.
    package static func nearest(to key: String, among candidates: [(text: String, item: Int)], count: Int) -> [Int] {
        let query = Array(key.unicodeScalars)
        let ranked = candidates.map { candidate -> (Int, String, Int) in
            let distance = editDistance(query, Array(candidate.text.unicodeScalars), limit: 12)
            let bonus = candidate.text.contains(key) || (candidate.text.count >= 4 && key.contains(candidate.text)) ? -6 : 0
            return (distance + bonus, candidate.text, candidate.item)
        }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        return ranked.prefix(count).map(\.2)
    }

    /// Levenshtein distance, giving up (returning `limit`) once every path exceeds it.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
        if abs(a.count - b.count) >= limit { return limit }
        var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...max(1, a.count) where !a.isEmpty {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum >= limit { return limit }
            swap(&previous, &current)
        }
        return min(limit, a.isEmpty ? b.count : previous[b.count])
    }
}
