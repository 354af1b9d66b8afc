import XCTest
@testable import Encore

/// Split invariants.
final class TrainTestSplitTests: XCTestCase {
    func data(users: Int = 60, itemsPerUser: Int = 12, withTime: Bool = true) throws -> Interactions {
        var random = RandomSource(seed: 5)
        var triples: [(user: String, item: String, weight: Float)] = []
        for u in 0..<users { for _ in 0..<itemsPerUser { triples.append((user: "u\(u)", item: "i\(Int(random.nextUniform() * 80))", weight: Float(1 + Int(random.nextUniform() * 9)))) } }
        var data = try Interactions(triples: triples)
        if withTime { data.timestamps = (0..<data.count).map { Int64($0 * 7 % 1000) } }
        return data
    }

    func pairs(_ data: Interactions) -> Set<String> { Set((0..<data.count).map { "\(data.users[$0])-\(data.items[$0])" }) }

    func testSplitsAreDisjointCompleteSeededAndScoreOnlyTrainedUsers() throws {
        let all = try data()
        let distinct = all.userItemMatrix().nonZeroCount
        for strategy in SplitStrategy.allCases {
            let split = try TrainTestSplit(all, strategy: strategy, testFraction: 0.25, seed: 3)
            let train = pairs(split.train), test = pairs(split.test)
            XCTAssertTrue(train.isDisjoint(with: test), "\(strategy)")
            XCTAssertEqual(train.count + test.count, distinct, "\(strategy)")
            XCTAssertEqual(Double(test.count) / Double(distinct), 0.25, accuracy: 0.05, "\(strategy)")
            let trainedUsers = Set(split.train.users)
            XCTAssertTrue(split.test.users.allSatisfy { trainedUsers.contains($0) }, "\(strategy)")
            let again = try TrainTestSplit(all, strategy: strategy, testFraction: 0.25, seed: 3)
            XCTAssertEqual(pairs(again.test), test)
            if strategy != .time {
                let other = try TrainTestSplit(all, strategy: strategy, testFraction: 0.25, seed: 4)
                XCTAssertNotEqual(pairs(other.test), test)
            }
            // Weights of duplicate rows are summed into the pair.
            XCTAssertEqual(split.train.weights.reduce(0, +) + split.test.weights.reduce(0, +), all.weights.reduce(0, +), accuracy: 1e-3)
        }
    }

    func testASampleOfTestUsersHoldsOutOnlyTheirPairsAndTheRestTrainWhole() throws {
        let all = try data()
        let distinct = all.userItemMatrix().nonZeroCount
        for strategy in SplitStrategy.allCases {
            let split = try TrainTestSplit(all, strategy: strategy, testFraction: 0.25, seed: 3, testUsers: 7)
            let testUsers = Set(split.test.users)
            XCTAssertLessThanOrEqual(testUsers.count, 7, "\(strategy)")
            XCTAssertGreaterThanOrEqual(testUsers.count, 5, "\(strategy)")
            XCTAssertEqual(pairs(split.train).count + pairs(split.test).count, distinct, "\(strategy)")
            // The sampled users' own pairs: about a quarter held out, counted by hand.
            let theirs = (0..<split.train.count).filter { testUsers.contains(split.train.users[$0]) }.count + split.test.count
            XCTAssertEqual(Double(split.test.count) / Double(theirs), 0.25, accuracy: 0.1, "\(strategy)")
            let again = try TrainTestSplit(all, strategy: strategy, testFraction: 0.25, seed: 3, testUsers: 7)
            XCTAssertEqual(pairs(again.test), pairs(split.test), "seeded: \(strategy)")
        }
        XCTAssertEqual(pairs(try TrainTestSplit(all, strategy: .random, testFraction: 0.25, seed: 3, testUsers: 1000).test),
                       pairs(try TrainTestSplit(all, strategy: .random, testFraction: 0.25, seed: 3).test), "a sample of everyone is no sample")
        XCTAssertThrowsError(try TrainTestSplit(all, strategy: .random, testFraction: 0.25, seed: 3, testUsers: 0))
    }

    func testPerUserAndTimeHoldOutEachUsersShareAndTimeTakesTheLatest() throws {
        let all = try data()
        let split = try TrainTestSplit(all, strategy: .time, testFraction: 0.25, seed: 1)
        let matrix = all.userItemMatrix()
        for user in 0..<all.userIDs.count {
            let count = matrix.range(ofRow: user).count
            let held = (0..<split.test.count).filter { split.test.users[$0] == UInt32(user) }
            XCTAssertEqual(held.count, min(count - 1, max(1, Int((Double(count) * 0.25).rounded()))))
            let kept = (0..<split.train.count).filter { split.train.users[$0] == UInt32(user) }
            let latestKept = kept.map { split.train.timestamps![$0] }.max()!
            XCTAssertTrue(held.allSatisfy { split.test.timestamps![$0] >= latestKept })
        }
        // Per-user holds out the same share of each user's pairs, chosen at random.
        let perUser = try TrainTestSplit(all, strategy: .perUser, testFraction: 0.25, seed: 1)
        for user in 0..<all.userIDs.count {
            let count = matrix.range(ofRow: user).count
            let held = perUser.test.users.filter { $0 == UInt32(user) }.count
            XCTAssertEqual(held, min(count - 1, max(1, Int((Double(count) * 0.25).rounded()))))
        }
        XCTAssertThrowsError(try TrainTestSplit(try data(withTime: false), strategy: .time, testFraction: 0.2, seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("needs timestamps"))
        }
        XCTAssertThrowsError(try TrainTestSplit(all, strategy: .random, testFraction: 1, seed: 1))
    }
}
