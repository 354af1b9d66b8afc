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
