import XCTest
@testable import Encore

/// A user's scores are the same bits alone and inside any batch. They used to differ in the last
/// digits: a single user was scored by SGEMV and a batch by SGEMM, which sum x·y in different
/// orders (and SGEMM's order depends on the block's shape), so `encore serve` answered user 2 of
/// a Last.fm model 1.47012 when idle and 1.4701198 under load, and near-tied items swapped.
final class ScoreConsistencyTests: XCTestCase {
    private func randomFactors(rows: Int, k: Int, random: inout RandomSource) -> DenseMatrix {
        DenseMatrix(rows: rows, columns: k, values: (0..<(rows * k)).map { _ in Float(random.nextGaussian()) * 0.3 })
    }

    func testAUsersScoresAreTheSameBitsInEveryBlock() {
        var random = RandomSource(seed: 18)
        // k below, at and off multiples of the 16-lane vector; item counts off multiples of 4 and 8.
        for k in [5, 16, 40, 64] {
            let users = randomFactors(rows: 37, k: k, random: &random)
            let items = randomFactors(rows: 1003, k: k, random: &random)
            let model = FactorModel(userFactors: users, itemFactors: items)
            var alone = [[Float]](repeating: [Float](repeating: 0, count: items.rows), count: users.rows)
            for user in 0..<users.rows { alone[user].withUnsafeMutableBufferPointer { model.scoreItems(forUser: user, into: $0) } }
            for user in [0, 11, 36] {
                for item in [0, 1, 500, 1002] { XCTAssertEqual(model.score(user: user, item: item).bitPattern, alone[user][item].bitPattern, "k \(k)") }
            }
            for blockSize in [1, 2, 3, 5, 8, 16, 37] {
                // Blocks start at every offset, so each user sits at every position of some block.
                for start in 0..<min(blockSize, users.rows - blockSize + 1) {
                    let m = min(blockSize, users.rows - start)
                    // Items too in blocks of odd sizes and offsets, as BatchRecommender slices them.
                    let itemStart = start % 3, n = items.rows - itemStart - start % 5
                    var block = [Float](repeating: .nan, count: m * n)
                    block.withUnsafeMutableBufferPointer { out in
                        VectorKernels.scores(users.row(start), m: m, lda: users.stride, items.row(itemStart), n: n, ldb: items.stride, k: k,
                                             into: out.baseAddress!, ldc: n)
                    }
                    for row in 0..<m {
                        for j in 0..<n where block[row * n + j].bitPattern != alone[start + row][itemStart + j].bitPattern {
                            XCTFail("k \(k), block of \(m) from user \(start): user \(start + row), item \(itemStart + j): \(block[row * n + j]) against \(alone[start + row][itemStart + j]) alone")
                            return
                        }
                    }
                }
            }
        }
    }

    func testBatchListsAreTheSingleListsBitForBit() throws {
        let model = try MusicFeatureTests.makeModel()
        let factors = model.factors
        for blockSize in [1, 2, 3, 7, 16, 64] {
            for ordered in [nil, model.normOrderedItems, NormOrderedItems(factors.itemFactors, headRows: 0)] {
                let scorer = BatchRecommender(users: factors.userFactors, items: factors.itemFactors, seen: model.interactions, ordered: ordered, threads: 1)
                var start = 0
                while start < model.userCount {
                    let list = Array(start..<min(model.userCount, start + blockSize))
                    try scorer.recommend(count: 10, userList: list) { user, got in
                        let alone = TopNRecommendation.recommend(model, user: user, count: 10, seen: model.interactions)
                        XCTAssertEqual(got.map(\.index), alone.map(\.index), "user \(user), block of \(list.count)")
                        XCTAssertEqual(got.map(\.score.bitPattern), alone.map(\.score.bitPattern), "user \(user), block of \(list.count)")
                    }
                    start += blockSize
                }
            }
        }
    }
}
