import Foundation

/// Finds artists by what a person types, as they type it: case- and accent-insensitive
/// ("motorhead" finds Motörhead, "bjork" Björk), names that start with the text first, then names
/// with a word that starts with it, then names that contain it — each group most listened first.
/// When nothing contains the text it is taken as misspelled and the nearest names by edit
/// distance are offered, ranked as `ItemLookup` ranks the CLI's suggestions.
package final class CatalogueSearch: Sendable {
    /// How a result matched the query.
    package enum Match: String, Sendable {
        /// The whole name (folded) or the ID is the query.
        case exact
        /// The name starts with it.
        case prefix
        /// A later word of the name starts with it.
        case word
        /// The name contains it elsewhere.
        case contains
        /// Nothing contains it; the name is among the nearest by edit distance.
        case close
    }

    /// One item found.
    package struct Result: Sendable, Equatable {
        /// The item's index.
        package var item: Int
        /// How it matched.
        package var match: Match
    }

    /// Folded names (or IDs, where the data set has no name) by item index.
    private let folded: [String]
    /// The same names' UTF-8, one after another: name i is `foldedBytes[nameStarts[i] ..< nameStarts[i + 1]]`.
    /// Each keystroke's scan compares bytes here (`ByteSearch`) instead of calling
    /// `String.firstRange(of:)` on each name (0.3–1.3 s a keystroke on 292,385 names).
    private let foldedBytes: [UInt8]
    private let nameStarts: [Int]
    private let ids: IDIndex
    private let listeners: [Int]

    /// An index of `model`'s names; folding every name once here keeps each keystroke's search
    /// to a scan of ready bytes.
    package init(model: TrainedModel) {
        folded = (0..<model.itemCount).map { CatalogueSearch.fold(model.name(ofItem: $0) ?? model.itemIDs.id(at: $0)) }
        var bytes: [UInt8] = [], starts = [0]
        starts.reserveCapacity(folded.count + 1)
        for name in folded {
            bytes.append(contentsOf: name.utf8)
            starts.append(bytes.count)
        }
        foldedBytes = bytes
        nameStarts = starts
        ids = model.itemIDs
        listeners = model.listenerCounts
    }

    /// `text` without case, accents or width differences, and with runs of spaces made one, in
    /// canonical composed form (so that equal text is equal bytes).
    package static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ").precomposedStringWithCanonicalMapping
    }

    /// Up to `count` items for `query`, best first; empty for a query that folds to nothing.
    package func search(_ query: String, count: Int) -> [Result] {
        let key = CatalogueSearch.fold(query)
        guard !key.isEmpty, count > 0 else { return [] }
        let exactID = ids.index(of: query)
        // The items of each kind of match, in item order.
        var matches: [Match: [Int]] = [:]
        let keyBytes = Array(key.utf8), wordBytes = Array(" \(key)".utf8)
        foldedBytes.withUnsafeBytes { names in
            keyBytes.withUnsafeBytes { key in
                wordBytes.withUnsafeBytes { word in
                    for item in 0..<folded.count where item != exactID {
                        let name = UnsafeRawBufferPointer(rebasing: names[nameStarts[item]..<nameStarts[item + 1]])
                        guard let offset = ByteSearch.firstOffset(of: key, in: name) else { continue }
                        let match: Match = offset == 0 ? (name.count == key.count ? .exact : .prefix)
                            : ByteSearch.firstOffset(of: word, in: name) != nil ? .word : .contains
                        matches[match, default: []].append(item)
                    }
                }
            }
        }
        // The item whose ID is the query ranks with the names that are the query.
        if let exactID { matches[.exact, default: []].append(exactID) }
        if matches.isEmpty {
            let candidates = folded.enumerated().map { (text: $0.element, item: $0.offset) }
            return ItemLookup.nearest(to: key, among: candidates, count: count).map { Result(item: $0, match: .close) }
        }
        // Kinds in order, each most listened first (then by name and index); a kind is ranked
        // only as far as the list still has room.
        var found: [Result] = []
        for match in [Match.exact, .prefix, .word, .contains] where found.count < count {
            let items = best(count - found.count, of: matches[match] ?? [])
            found += items.map { Result(item: $0, match: match) }
        }
        return found
    }

    /// The first `count` of `items` by most listeners, then folded name, then index.
    private func best(_ count: Int, of items: [Int]) -> [Int] {
        func before(_ a: Int, _ b: Int) -> Bool {
            if listeners[a] != listeners[b] { return listeners[a] > listeners[b] }
            return (folded[a], a) < (folded[b], b)
        }
        if items.count <= count { return items.sorted(by: before) }
        var kept = FirstInOrder(count: count, before: before)
        for item in items { kept.offer(item) }
        return kept.elements
    }
}
