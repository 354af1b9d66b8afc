import XCTest
@testable import Encore

/// Batch top-k, with and without stopping early on longest-first items, against a brute-force
/// reference: every score computed by a plain loop, every list sorted by (score, index).
final class BatchRecommenderTests: XCTestCase {
    func testLongestFirstWithEarlyStopGivesTheBruteForceLists() throws {
        var random = RandomSource(seed: 3)
        let k = 8, userCount = 150, itemCount = 9000
        // Item lengths spread over three orders of magnitude, as ALS gives a long tail; a few
        // exact duplicates make ties that only the index can break.
        var itemValues: [Float] = []
        for i in 0..<itemCount {
            let length = Float(pow(10, -2 + 3 * random.nextUniform()))
            let row = (0..<k).map { _ in Float(random.nextGaussian()) * length }
            itemValues += i % 1000 == 999 ? Array(itemValues[((i - 1) * k)..<(i * k)]) : row
        }
        let userValues = (0..<(userCount * k)).map { _ in Float(random.nextGaussian()) }
        let users = DenseMatrix(rows: userCount, columns: k, values: userValues)
        let items = DenseMatrix(rows: itemCount, columns: k, values: itemValues)
        var rows: [UInt32] = [], columns: [UInt32] = [], values: [Float] = []
        for u in 0..<userCount { for _ in 0..<30 { rows.append(UInt32(u)); columns.append(UInt32(random.next() % UInt64(itemCount))); values.append(1) } }
        let seen = SparseMatrix(rowCount: userCount, columnCount: itemCount, rows: rows, columns: columns, values: values)
        let candidates = (0..<itemCount).map { $0 % 7 != 3 }
        // The whole order copied (the default for a catalogue this small), none of it (every
        // block gathered from the item matrix), and a head that ends inside the second block.
        for headRows in [nil, 0, 5000] {
            try checkEarlyStop(users: users, items: items, seen: seen, candidates: candidates, ordered: NormOrderedItems(items, headRows: headRows))
        }
    }

    private func checkEarlyStop(users: DenseMatrix, items: DenseMatrix, seen: SparseMatrix, candidates: [Bool], ordered: NormOrderedItems) throws {
        let k = users.columns, userCount = users.rows, itemCount = items.rows
        for count in [1, 10, 25] {
            var pruned: [Int: [ScoredItem]] = [:]
            try BatchRecommender(users: users, items: items, seen: seen, candidates: candidates, ordered: ordered, threads: 2)
                .recommend(count: count) { user, list in pruned[user] = list }
            for user in 0..<userCount {
                var reference: [ScoredItem] = []
                for item in 0..<itemCount where candidates[item] && seen.value(row: user, column: item) == 0 {
                    var score: Float = 0
                    for j in 0..<k { score += users[user, j] * items[item, j] }
                    reference.append(ScoredItem(index: item, score: score))
                }
                reference.sort { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
                let got = try XCTUnwrap(pruned[user])
                XCTAssertEqual(got.count, count)
                for (mine, theirs) in zip(got, reference.prefix(count)) {
                    XCTAssertEqual(mine.score, theirs.score, accuracy: 1e-4 * max(1, abs(theirs.score)), "user \(user), top-\(count)")
                    if abs(mine.score - theirs.score) > 1e-4 * max(1, abs(theirs.score)) { break }
                }
                // Apart from near-equal scores, the same items.
                let strictlyAbove = Set(reference.prefix(count).filter { $0.score > reference[count].score + 1e-3 }.map(\.index))
                XCTAssertTrue(strictlyAbove.isSubset(of: Set(got.map(\.index))), "user \(user), top-\(count)")
            }
            // And exactly what the full scan returns.
            var full: [Int: [ScoredItem]] = [:]
            try BatchRecommender(users: users, items: items, seen: seen, candidates: candidates, threads: 2)
                .recommend(count: count) { user, list in full[user] = list }
            XCTAssertEqual(pruned.mapValues { $0.map(\.index) }, full.mapValues { $0.map(\.index) }, "top-\(count)")
        }
    }

    /// The order: longest first, equal lengths (repeated rows, zero rows) by index, as a
    /// comparator on the lengths computed here orders them.
    func testNormOrderIsDecreasingLengthThenIndex() {
        var random = RandomSource(seed: 8)
        let k = 5, count = 3000
        var values: [Float] = []
        for i in 0..<count {
            let row = i % 10 == 0 ? [Float](repeating: 0, count: k) : (0..<k).map { _ in Float(random.nextGaussian()) }
            values += i % 3 == 2 ? Array(values[((i - 1) * k)..<(i * k)]) : row
        }
        let items = DenseMatrix(rows: count, columns: k, values: values)
        let ordered = NormOrderedItems(items)
        let lengths = (0..<count).map { VectorKernels.dot(items.row($0), items.row($0), k).squareRoot() }
        let expected = (0..<count).sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        XCTAssertEqual(ordered.order.map { Int($0) }, expected)
        XCTAssertEqual(ordered.norms, expected.map { lengths[$0] })
        for (slot, item) in expected.enumerated() { XCTAssertEqual(Int(ordered.position[item]), slot) }
    }

    /// The radix sort behind the order, on lengths whose bits differ in every byte (neighbouring
    /// floats, powers of two, zero, the largest and smallest), many repeated, and on 0 and 1 items.
    func testLongestFirstIsTheComparatorsOrder() {
        var random = RandomSource(seed: 4)
        let kinds: [Float] = [0, 1, Float(1).nextUp, Float(1).nextDown, 2, 0.5, 1e-30, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 3.25, 65_536, Float(65_536).nextUp]
        for count in [0, 1, 2, 7, 300, 5_000] {
            let lengths = (0..<count).map { _ in
                random.nextUniform() < 0.5 ? kinds[Int(random.nextUniform() * Double(kinds.count))] : Float(random.nextUniform() * 10)
            }
            let expected = (0..<count).sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
            XCTAssertEqual(NormOrderedItems.longestFirst(lengths).map { Int($0) }, expected, "\(count) items")
        }
    }

    /// A block of the order, from the copied head or gathered from the item matrix, holds the
    /// item vectors at those positions.
    func testRowsOfTheOrderAreTheItemVectorsFromHeadOrGathered() {
        var random = RandomSource(seed: 9)
        let k = 6, count = 50
        let items = DenseMatrix(rows: count, columns: k, values: (0..<(count * k)).map { _ in Float(random.nextGaussian()) })
        let ordered = NormOrderedItems(items, headRows: 20)
        let lengths = (0..<count).map { VectorKernels.dot(items.row($0), items.row($0), k).squareRoot() }
        let expected = (0..<count).sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: count * items.stride)
        defer { scratch.deallocate() }
        for (start, n) in [(0, 20), (5, 10), (15, 10), (20, 30), (0, 50)] {
            let block = ordered.rows(start, n, scratch: scratch)
            XCTAssertEqual(block.vectors == UnsafePointer(scratch), start + n > 20, "block \(start)..<\(start + n)")
            for slot in 0..<n {
                let item = expected[start + slot]
                for j in 0..<k { XCTAssertEqual(block.vectors[slot * block.stride + j], items[item, j]) }
            }
        }
    }
}
