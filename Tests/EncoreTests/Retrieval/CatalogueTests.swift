import XCTest
@testable import Encore

/// The web page's search (accent- and case-insensitive) and map (PCA of the item vectors).
final class CatalogueTests: XCTestCase {
    static let groupNames = ["Motörhead", "Björk", "Sigur Rós", "Beyoncé"]

    /// MusicFeatureTests' four taste groups, with artist names that carry accents: group g's
    /// artists are "<groupNames[g]> 0" … "<groupNames[g]> 19".
    static func makeModel() throws -> TrainedModel {
        var data = try MusicFeatureTests.makeData()
        data.itemNames = data.itemIDs.ids.map { id in
            let number = Int(id.dropFirst())!
            return "\(groupNames[number / 20]) \(number % 20)"
        }
        var configuration = ALSConfiguration()
        configuration.factors = 8
        configuration.iterations = 12
        configuration.solver = .cholesky
        return try TrainedModel.train(data, configuration: configuration, threads: 2)
    }

    func testSearchIgnoresCaseAndAccentsAndRanksHowTheNameMatches() throws {
        let model = try CatalogueTests.makeModel()
        let search = CatalogueSearch(model: model)
        func names(_ results: [CatalogueSearch.Result]) -> [String] { results.map { model.name(ofItem: $0.item)! } }

        let exact = search.search("MOTORHEAD 3", count: 5)
        XCTAssertEqual(exact.first, CatalogueSearch.Result(item: try ItemLookup.find("Motörhead 3", in: model), match: .exact))
        XCTAssertEqual(names(exact), ["Motörhead 3"])

        let prefix = search.search("bjork", count: 50)
        XCTAssertEqual(prefix.count, 20)
        XCTAssertTrue(prefix.allSatisfy { $0.match == .prefix })
        let listeners = prefix.map { model.listenerCounts[$0.item] }
        XCTAssertEqual(listeners, listeners.sorted(by: >), "most listened first")

        let word = search.search("ROS", count: 50)
        XCTAssertEqual(word.count, 20)
        XCTAssertTrue(word.allSatisfy { $0.match == .word && model.name(ofItem: $0.item)!.hasPrefix("Sigur Rós") })
        let inside = search.search("head", count: 50)
        XCTAssertEqual(inside.count, 20)
        XCTAssertTrue(inside.allSatisfy { $0.match == .contains })

        // Nothing contains a misspelling: the nearest names, as the CLI would suggest them.
        let close = search.search("motrhead 7", count: 3)
        XCTAssertEqual(close.map(\.match), [.close, .close, .close])
        XCTAssertEqual(names(close).first, "Motörhead 7")

        XCTAssertEqual(search.search("a5", count: 3).first, CatalogueSearch.Result(item: try model.itemIndex("a5"), match: .exact), "an ID")
        XCTAssertEqual(search.search("  ", count: 3), [])
        XCTAssertEqual(CatalogueSearch.fold("  Sigur   RÓS "), "sigur ros")
    }

    /// The search and the suggestions against the plain definitions: every name tested with
    /// Swift's own string matching, the full Levenshtein table, everything sorted.
    func testSearchAndSuggestionsMatchTheirPlainDefinitions() throws {
        var random = RandomSource(seed: 23)
        let syllables = ["mo", "tör", "head", "bjö", "rk", "si", "gur", "rós", "be", "yon", "cé", "the", " ", "a", "ñ", "ka", "ze", "ü"]
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        var triples: [(user: String, item: String, weight: Float)] = []
        let itemCount = 1500
        for item in 0..<itemCount {
            for listener in 0..<(1 + pick(9)) { triples.append((user: "u\((item * 7 + listener * 13) % 300)", item: "i\(item)", weight: 1)) }
        }
        var data = try Interactions(triples: triples)
        data.itemNames = data.itemIDs.ids.indices.map { item in
            // Some names repeat, so equal texts are ranked by index.
            if item % 97 == 5 { return "Björk Duplicate" }
            return (0..<(1 + pick(5))).map { _ in syllables[pick(syllables.count)] }.joined().capitalized
        }
        var configuration = ALSConfiguration()
        configuration.factors = 2
        configuration.iterations = 1
        let model = try TrainedModel.train(data, configuration: configuration, threads: 2)
        let search = CatalogueSearch(model: model)
        let folded = (0..<model.itemCount).map { CatalogueSearch.fold(model.name(ofItem: $0)!) }
        let listeners = model.listenerCounts

        func levenshtein(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
            var table = (0...b.count).map { $0 }
            for i in 1..<(a.count + 1) {
                var row = [i] + [Int](repeating: 0, count: b.count)
                for j in 1..<(b.count + 1) { row[j] = min(table[j] + 1, row[j - 1] + 1, table[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)) }
                table = row
            }
            return table[b.count]
        }
        func plainNearest(_ key: String, _ candidates: [(text: String, item: Int)], _ count: Int) -> [Int] {
            candidates.enumerated().map { position, candidate in
                let bonus = candidate.text.contains(key) || (candidate.text.count >= 4 && key.contains(candidate.text)) ? -6 : 0
                return (score: min(12, levenshtein(Array(key.unicodeScalars), Array(candidate.text.unicodeScalars))) + bonus, text: candidate.text, position: position)
            }.sorted { ($0.score, $0.text, $0.position) < ($1.score, $1.text, $1.position) }.prefix(count).map { candidates[$0.position].item }
        }
        func plainSearch(_ query: String, _ count: Int) -> [CatalogueSearch.Result] {
            let key = CatalogueSearch.fold(query)
            guard !key.isEmpty else { return [] }
            var found: [CatalogueSearch.Result] = []
            if let item = model.itemIDs.index(of: query) { found.append(.init(item: item, match: .exact)) }
            for (item, name) in folded.enumerated() where found.first?.item != item {
                guard let range = name.firstRange(of: key) else { continue }
                let match: CatalogueSearch.Match = range.lowerBound == name.startIndex ? (range.upperBound == name.endIndex ? .exact : .prefix)
                    : name.contains(" " + key) ? .word : .contains
                found.append(.init(item: item, match: match))
            }
            if found.isEmpty {
                return plainNearest(key, folded.enumerated().map { ($0.element, $0.offset) }, count).map { .init(item: $0, match: .close) }
            }
            let order: [CatalogueSearch.Match] = [.exact, .prefix, .word, .contains]
            return Array(found.sorted { a, b in
                let (rankA, rankB) = (order.firstIndex(of: a.match)!, order.firstIndex(of: b.match)!)
                if rankA != rankB { return rankA < rankB }
                if listeners[a.item] != listeners[b.item] { return listeners[a.item] > listeners[b.item] }
                return (folded[a.item], a.item) < (folded[b.item], b.item)
            }.prefix(count))
        }

        var queries = ["bjork duplicate", "BJÖRK", "head", "i17", "i1499", "the", "a", "zzzz", "motorhed", "rosgurz", "xq", "Björk Duplicat"]
        for _ in 0..<60 {
            // Pieces of names, some with a letter changed (misspelled: found only by distance).
            let name = Array(folded[pick(itemCount)])
            let start = pick(name.count), end = min(name.count, start + 1 + pick(8))
            var piece = Array(name[start..<end])
            if pick(3) == 0 { piece[pick(piece.count)] = "q" }
            queries.append(String(piece))
        }
        for query in queries {
            for count in [1, 5, 40] {
                XCTAssertEqual(search.search(query, count: count), plainSearch(query, count), "'\(query)', \(count)")
            }
        }
        // The CLI's suggestions for an unknown name use the same ranking.
        let lowered = model.itemsByLowercasedName.map { (text: $0.key, item: $0.value[0]) }.sorted { $0.item < $1.item }
        for key in ["bjrk", "motörhed", "gursi", "x", "the yon", "head", "ka", "björk duplicate and more", "zemotörheadka"] {
            XCTAssertEqual(ItemLookup.nearest(to: key, among: lowered, count: 5), plainNearest(key, lowered, 5), key)
        }
    }

    func testTheMapSeparatesTasteGroupsAndPlacesAnyItemOnTheSamePlane() throws {
        let model = try CatalogueTests.makeModel()
        let map = try CatalogueMap(model: model, count: 60)
        XCTAssertEqual(map.basisItems.count, 60)
        let listeners = model.listenerCounts
        XCTAssertEqual(map.basisItems.map { listeners[$0] }, map.basisItems.map { listeners[$0] }.sorted(by: >))
        XCTAssertGreaterThanOrEqual(map.explainedVariance.first, map.explainedVariance.second)
        XCTAssertLessThanOrEqual(map.explainedVariance.first + map.explainedVariance.second, 1 + 1e-9)
        XCTAssertGreaterThan(map.explainedVariance.first + map.explainedVariance.second, 0.4, "four groups lie near a plane")

        // The points are centred: their mean is the origin.
        let points = map.basisItems.map { map.position(of: $0, in: model) }
        XCTAssertEqual(points.map(\.x).reduce(0, +) / 60, 0, accuracy: 1e-6)
        XCTAssertEqual(points.map(\.y).reduce(0, +) / 60, 0, accuracy: 1e-6)

        // Artists of one taste group sit closer together than artists of different groups.
        func group(_ item: Int) -> Int { Int(model.itemIDs.id(at: item).dropFirst())! / 20 }
        var within: [Double] = [], between: [Double] = []
        for a in map.basisItems.indices { for b in map.basisItems.indices where b > a {
            let distance = hypot(points[a].x - points[b].x, points[a].y - points[b].y)
            if group(map.basisItems[a]) == group(map.basisItems[b]) { within.append(distance) } else { between.append(distance) }
        } }
        XCTAssertLessThan(within.reduce(0, +) / Double(within.count), 0.6 * between.reduce(0, +) / Double(between.count))

        // The same model gives the same map; an item outside the basis is placed too.
        let again = try CatalogueMap(model: model, count: 60)
        let outside = try XCTUnwrap((0..<model.itemCount).first { !map.basisItems.contains($0) })
        XCTAssertEqual(again.position(of: outside, in: model).x, map.position(of: outside, in: model).x)
        XCTAssertEqual(again.position(of: outside, in: model).y, map.position(of: outside, in: model).y)
        XCTAssertThrowsError(try CatalogueMap(model: model, count: 0))
    }
}
