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
    ///
    /// A candidate's score is its distance (counted to 12 at most) less 6 when it contains `key`
    /// or, four characters or more, is contained in it. Only the best `count` are kept, so each
    /// candidate's distance is needed only up to what would still let it in (with byte matching
    /// for the bonus and rows kept between candidates, a misspelled search of 292,385 names went
    /// from 0.8–1.0 s to 0.1 s; docs/web.md).
    package static func nearest(to key: String, among candidates: [(text: String, item: Int)], count: Int) -> [Int] {
        guard count > 0 else { return [] }
        let query = Array(key.unicodeScalars), keyBytes = Array(key.utf8)
        // Best first by (score, text, position).
        var kept = FirstInOrder<(score: Int, text: String, position: Int)>(count: count) { ($0.score, $0.text, $0.position) < ($1.score, $1.text, $1.position) }
        var scalars: [Unicode.Scalar] = []
        var rows = EditDistanceRows()
        for (position, candidate) in candidates.enumerated() {
            scalars.removeAll(keepingCapacity: true)
            scalars.append(contentsOf: candidate.text.unicodeScalars)
            var text = candidate.text
            let bonus = text.withUTF8 { text in
                keyBytes.withUnsafeBytes { key in
                    contains(UnsafeRawBufferPointer(text), key) || (scalars.count >= 4 && contains(key, UnsafeRawBufferPointer(text)))
                }
            } ? -6 : 0
            // Entering takes a score no worse than the worst kept one (ties go by text).
            let limit = min(12, kept.lastKept.map { $0.score - bonus + 1 } ?? 12)
            guard limit > 0 else { continue }
            let distance = editDistance(query, scalars, limit: limit, rows: &rows)
            kept.offer((distance + bonus, candidate.text, position))
        }
        return kept.elements.map { candidates[$0.position].item }
    }

    /// Whether the bytes of `needle` occur in `haystack`'s.
    private static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
        ByteSearch.firstOffset(of: needle, in: haystack) != nil
    }

    /// Levenshtein distance, giving up (returning `limit`) once every path exceeds it.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
        var rows = EditDistanceRows()
        return editDistance(a, b, limit: limit, rows: &rows)
    }

    /// `editDistance(_:_:limit:)` in rows kept from one call to the next.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int, rows: inout EditDistanceRows) -> Int {
        if abs(a.count - b.count) >= limit { return limit }
        if a.isEmpty || b.isEmpty { return min(limit, a.count + b.count) }
        rows.previous.removeAll(keepingCapacity: true)
        rows.previous.append(contentsOf: 0...b.count)
        rows.current.removeAll(keepingCapacity: true)
        rows.current.append(contentsOf: repeatElement(0, count: b.count + 1))
        for i in 1...a.count {
            rows.current[0] = i
            var rowMinimum = i
            for j in 1...b.count {
                let value = min(rows.previous[j] + 1, rows.current[j - 1] + 1, rows.previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                rows.current[j] = value
                rowMinimum = min(rowMinimum, value)
            }
            if rowMinimum >= limit { return limit }
            swap(&rows.previous, &rows.current)
        }
        return min(limit, rows.previous[b.count])
    }

    /// The two rows of the distance table, kept between calls so no call allocates.
    struct EditDistanceRows {
        var previous: [Int] = []
        var current: [Int] = []
    }
}
