import XCTest
@testable import Encore

/// The tag map against a ridge regression solved by hand, and the placement of unplayed items.
final class TagMapTests: XCTestCase {
    /// Items 0–3 are fitted: 0 and 2 tagged A, 1 and 3 tagged B (weight 1 each). Item 4 is
    /// tagged A, 5 A and B, 6 only C (on no fitted item).
    func makeTags() throws -> ItemTags {
        let rows: [UInt32] = [0, 1, 2, 3, 4, 5, 5, 6], columns: [UInt32] = [0, 1, 0, 1, 0, 0, 1, 2]
        let matrix = SparseMatrix(rowCount: 7, columnCount: 3, rows: rows, columns: columns, values: [Float](repeating: 1, count: rows.count))
        return try ItemTags(tagNames: ["A", "B", "C"], matrix: matrix)
    }

    /// By hand: every fitted item has one tag, so its unit-length features are (1, 0, 1) (tag A,
    /// intercept) or (0, 1, 1). FᵀF + I = [[3,0,2],[0,3,2],[2,2,5]]. For targets y = (1, −1, 3, 1),
    /// FᵀY = (4, 0, 4) and the solution is (a, b, c) = (20/21, −8/21, 4/7); for y = (0, 2, 0, 2),
    /// FᵀY = (0, 4, 4) and it is (−8/21, 20/21, 4/7). Tag A alone maps to a + c; A and B (equal
    /// idf, so features (1/√2, 1/√2, 1)) to (a + b)/√2 + c.
    func testMapIsTheRidgeSolutionWorkedOutByHand() throws {
        let tags = try makeTags()
        let targets = DenseMatrix(rows: 7, columns: 2, values: [1, 0, -1, 2, 3, 0, 1, 2, 0, 0, 0, 0, 0, 0])
        let map = try TagMap(tags: tags, targets: targets, items: [0, 1, 2, 3], regularization: 1)
        let (a0, b0, c0) = (20.0 / 21, -8.0 / 21, 4.0 / 7)
        let (a1, b1, c1) = (-8.0 / 21, 20.0 / 21, 4.0 / 7)
        let onlyA = try XCTUnwrap(map.place(4, tags: tags))
        XCTAssertEqual(Double(onlyA[0]), a0 + c0, accuracy: 1e-5)
        XCTAssertEqual(Double(onlyA[1]), a1 + c1, accuracy: 1e-5)
        let both = try XCTUnwrap(map.place(5, tags: tags))
        XCTAssertEqual(Double(both[0]), (a0 + b0) / 2.0.squareRoot() + c0, accuracy: 1e-5)
        XCTAssertEqual(Double(both[1]), (a1 + b1) / 2.0.squareRoot() + c1, accuracy: 1e-5)
        XCTAssertNil(map.place(6, tags: tags), "tag C is on no fitted item: the map cannot place it")
    }

    func testRegularizationMustBePositive() throws {
        let tags = try makeTags()
        XCTAssertThrowsError(try TagMap(tags: tags, targets: DenseMatrix(rows: 7, columns: 2), items: [0, 1, 2, 3], regularization: 0))
    }

    /// A model trained on plays of a1…a4, with tags for those and for a9, which nobody played:
    /// a9 is added at the vector its tags map to, and can be recommended, queried and seeded.
    func testUnplayedTaggedItemIsPlacedAndServed() throws {
        var plays: [Play] = []
        for user in 0..<12 {
            let items = user % 2 == 0 ? ["a1", "a2"] : ["a3", "a4"]
            for item in items { plays.append(Play(user: "u\(user)", item: item, count: Float(1 + user))) }
        }
        let tags: [String: [String]] = ["a1": ["dream pop"], "a2": ["dream pop"], "a3": ["metal"], "a4": ["metal"], "a9": ["dream pop"]]
        var configuration = ALSConfiguration()
        configuration.factors = 2
        configuration.iterations = 8
        let model = try EncoreModel.train(plays: plays, itemNames: ["a9": "New Band"], itemTags: tags, configuration: configuration, threads: 1)
        XCTAssertEqual(model.itemIDs.last, "a9")
        XCTAssertEqual(model.name(ofItem: "a9"), "New Band")
        XCTAssertEqual(try model.tags(ofItem: "New Band"), ["dream pop"])
        // Its vector is the map's, fitted here again on the played items' trained vectors.
        let trained = model.model, index = try trained.itemIndex("a9")
        let map = try TagMap(tags: trained.itemTags!, targets: trained.factors.itemFactors, items: [0, 1, 2, 3].map { try trained.itemIndex("a\($0 + 1)") })
        let expected = try XCTUnwrap(map.place(index, tags: trained.itemTags!))
        for (placed, reference) in zip(trained.factors.itemFactors.rowArray(index), expected) { XCTAssertEqual(placed, reference, accuracy: 1e-6) }
        XCTAssertEqual(trained.listenerCounts[index], 0)
        // Its tags put it with a1 and a2: nearer them than a3 and a4, and recommended to their listeners.
        let similar = try model.similarItems(to: "a9", count: 4, minimumListeners: 0).map(\.itemID)
        XCTAssertEqual(Set(similar.prefix(2)), ["a1", "a2"], "\(similar)")
        XCTAssertEqual(try model.recommendations(for: "u0", count: 1, among: ["a9", "a3", "a4"]).first?.itemID, "a9")
        XCTAssertEqual(try model.radio(from: ["a9"], length: 2, minimumListeners: 0).count, 2)
        XCTAssertEqual(Set(try model.radio(tagged: ["Dream Pop"], length: 3, minimumListeners: 0).map(\.itemID)), ["a1", "a2", "a9"])
        XCTAssertThrowsError(try model.radio(from: ["a1"], tagged: ["metal"]))
        // Training never saw a9: explanations and fold-in solve against YᵀY without it, as without tags.
        XCTAssertEqual(trained.placedItems, 1)
        let plain = try EncoreModel.train(plays: plays, configuration: configuration, threads: 1)
        XCTAssertEqual(try model.explanation(of: "a3", for: "u0").score, try plain.explanation(of: "a3", for: "u0").score)
        XCTAssertEqual(trained.itemGram, plain.model.itemGram)
    }
}
