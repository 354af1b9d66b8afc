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
    private let ids: IDIndex
    private let listeners: [Int]

    /// An index of `model`'s names; folding every name once here keeps each keystroke's search
    /// to a scan of ready strings.
    package init(model: TrainedModel) {
        folded = (0..<model.itemCount).map { CatalogueSearch.fold(model.name(ofItem: $0) ?? model.itemIDs.id(at: $0)) }
        ids = model.itemIDs
        listeners = model.listenerCounts
    }

    /// `text` without case, accents or width differences, and with runs of spaces made one.
    package static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Up to `count` items for `query`, best first; empty for a query that folds to nothing.
    package func search(_ query: String, count: Int) -> [Result] {
        let key = CatalogueSearch.fold(query)
        guard !key.isEmpty, count > 0 else { return [] }
        var found: [Result] = []
        if let item = ids.index(of: query) { found.append(Result(item: item, match: .exact)) }
        for (item, name) in folded.enumerated() where found.first?.item != item {
            if let match = CatalogueSearch.match(name, key) { found.append(Result(item: item, match: match)) }
        }
        if found.isEmpty {
            let candidates = folded.enumerated().map { (text: $0.element, item: $0.offset) }
            return ItemLookup.nearest(to: key, among: candidates, count: count).map { Result(item: $0, match: .close) }
        }
        let order: [Match] = [.exact, .prefix, .word, .contains]
        found.sort { a, b in
            let (rankA, rankB) = (order.firstIndex(of: a.match)!, order.firstIndex(of: b.match)!)
            if rankA != rankB { return rankA < rankB }
            if listeners[a.item] != listeners[b.item] { return listeners[a.item] > listeners[b.item] }
            return (folded[a.item], a.item) < (folded[b.item], b.item)
        }
        return Array(found.prefix(count))
    }

    /// How folded `name` matches folded `key`, if it does.
    private static func match(_ name: String, _ key: String) -> Match? {
        guard let range = name.firstRange(of: key) else { return nil }
        if range.lowerBound == name.startIndex { return range.upperBound == name.endIndex ? .exact : .prefix }
        if name.contains(" " + key) { return .word }
        return .contains
    }
}
