import XCTest
@testable import Encore

/// The pool of request buffers, and the answers that use it when every buffer it hands out holds
/// an earlier request's leftovers (NaN here), against answers worked out by hand.
final class ScratchBuffersTests: XCTestCase {
    func testBuffersAreReusedAlignedAndBounded() {
        let pool = ScratchBuffers(keeping: 3)
        let first = pool.withBuffer(count: 1000) { buffer -> UnsafeMutablePointer<Float> in
            XCTAssertEqual(buffer.count, 1000)
            XCTAssertEqual(Int(bitPattern: buffer.baseAddress!) % 64, 0)
            return buffer.baseAddress!
        }
        // The same buffer again, for a request of its size or smaller.
        XCTAssertEqual(pool.withBuffer(count: 1000) { $0.baseAddress! }, first)
        XCTAssertEqual(pool.withBuffer(count: 10) { $0.count }, 10)
        XCTAssertEqual(pool.withBuffer(count: 10) { $0.baseAddress! }, first)
        // A larger request gets a buffer of its own; both are kept.
        let larger = pool.withBuffer(count: 5000) { $0.baseAddress! }
        XCTAssertNotEqual(larger, first)
        XCTAssertEqual(pool.keptCount, 2)
        // The smallest buffer that fits is chosen.
        XCTAssertEqual(pool.withBuffer(count: 900) { $0.baseAddress! }, first)
        XCTAssertEqual(pool.withBuffer(count: 4000) { $0.baseAddress! }, larger)
        // Buffers in use at once are distinct; past `keeping`, the smallest are freed.
        func nest(_ depth: Int, _ seen: inout Set<UnsafeMutablePointer<Float>>) {
            guard depth > 0 else { return }
            pool.withBuffer(count: 100 * depth) { buffer in
                XCTAssertTrue(seen.insert(buffer.baseAddress!).inserted)
                for index in buffer.indices { buffer[index] = Float(depth) }
                nest(depth - 1, &seen)
                XCTAssertTrue(buffer.allSatisfy { $0 == Float(depth) }, "a nested request wrote into this one's buffer")
            }
        }
        var seen = Set<UnsafeMutablePointer<Float>>()
        nest(6, &seen)
        XCTAssertEqual(seen.count, 6)
        XCTAssertEqual(pool.keptCount, 3)
        XCTAssertTrue(pool.withBuffer(count: 5000) { $0.baseAddress! } == larger, "the largest buffer was freed before smaller ones")
    }

    /// Fills every buffer the shared pool keeps (and more) with NaN.
    func poisonSharedBuffers(count: Int = 300_000, depth: Int = 20) {
        guard depth > 0 else { return }
        ScratchBuffers.shared.withBuffer(count: count) { buffer in
            buffer.initialize(repeating: .nan)
            poisonSharedBuffers(count: count, depth: depth - 1)
        }
    }

    /// The `count` best of `scores` (higher first, lower index first on ties), skipping `excluded`.
    func topByHand(_ scores: [Double], count: Int, excluding excluded: Set<Int>) -> [Int] {
        let ranked = scores.indices.filter { !excluded.contains($0) && scores[$0] > -.infinity }
            .sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return Array(ranked.prefix(count))
    }

    func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ k: Int) -> Double {
        (0..<k).reduce(0.0) { $0 + Double(a[$1]) * Double(b[$1]) }
    }

    func testAnswersFromReusedBuffersMatchAnswersWorkedOutByHand() throws {
        let model = try MusicFeatureTests.makeModel()
        let items = model.factors.itemFactors, users = model.factors.userFactors, k = model.factors.factors
        let lengths = (0..<model.itemCount).map { dot(items.row($0), items.row($0), k).squareRoot() }

        for item in [0, 7, 41] {
            poisonSharedBuffers()
            let cosines = (0..<model.itemCount).map { candidate in
                model.listenerCounts[candidate] < SimilarItems.defaultMinimumListeners
                    ? -Double.infinity : dot(items.row(item), items.row(candidate), k) / (lengths[item] * lengths[candidate])
            }
            let similar = SimilarItems.similar(to: item, count: 10, in: model)
            XCTAssertEqual(similar.map(\.index), topByHand(cosines, count: 10, excluding: [item]), "similar to \(item)")
            for entry in similar { XCTAssertEqual(Double(entry.score), cosines[entry.index], accuracy: 1e-5) }

            poisonSharedBuffers()
            let unit = SimilarItems.similar(to: item, count: 10, normalizedItems: model.normalizedItemFactors)
            let unitCosines = (0..<model.itemCount).map { dot(items.row(item), items.row($0), k) / (lengths[item] * lengths[$0]) }
            XCTAssertEqual(unit.map(\.index), topByHand(unitCosines, count: 10, excluding: [item]))
        }

        for user in [0, 3, 99] {
            poisonSharedBuffers()
            let scores = (0..<model.itemCount).map { dot(users.row(user), items.row($0), k) }
            let seen = Set(model.interactions.columns(ofRow: user).map(Int.init))
            let recommended = TopNRecommendation.recommend(model, user: user, count: 10, seen: model.interactions)
            XCTAssertEqual(recommended.map(\.index), topByHand(scores, count: 10, excluding: seen), "user \(user)")
            for entry in recommended { XCTAssertEqual(Double(entry.score), scores[entry.index], accuracy: 1e-5) }

            // Several users at once, through the batch scorer's blocks.
            poisonSharedBuffers()
            var batch: [Int: [Int]] = [:]
            try BatchRecommender(users: users, items: items, seen: model.interactions, ordered: model.normOrderedItems, threads: 1)
                .recommend(count: 10, userList: [user, 1, 2]) { listed, list in batch[listed] = list.map(\.index) }
            XCTAssertEqual(batch[user], topByHand(scores, count: 10, excluding: seen))
        }

        let plays: [Int: Float] = [2: 10, 5: 3, 30: 1]
        poisonSharedBuffers()
        let vector = try FoldIn.userVector(plays: plays, in: model)
        let folded = try FoldIn.recommend(plays: plays, count: 10, in: model)
        let foldedScores = (0..<model.itemCount).map { item in vector.withUnsafeBufferPointer { dot($0.baseAddress!, items.row(item), k) } }
        XCTAssertEqual(folded.map(\.index), topByHand(foldedScores, count: 10, excluding: Set(plays.keys)))
    }
}
