import XCTest
@testable import Encore

/// Requests scored together give exactly what one-at-a-time scoring gives.
final class CoalescingRecommenderTests: XCTestCase {
    func testConcurrentRequestsGetTheirOwnExactLists() throws {
        let model = try MusicFeatureTests.makeModel()
        let coalescer = CoalescingRecommender(workers: 2, maxBatch: 8)
        let users = Array(0..<model.userCount) + Array(0..<model.userCount)
        var answers = [[ScoredItem]](repeating: [], count: users.count)
        answers.withUnsafeMutableBufferPointer { answers in
            DispatchQueue.concurrentPerform(iterations: 32) { lane in
                for index in stride(from: lane, to: users.count, by: 32) {
                    let count = 1 + index % 12
                    answers[index] = coalescer.recommend(model: model, user: users[index], count: count, excludeSeen: index % 3 != 0)
                }
            }
        }
        for (index, user) in users.enumerated() {
            let expected = TopNRecommendation.recommend(model, user: user, count: 1 + index % 12, seen: index % 3 != 0 ? model.interactions : nil)
            // Bit for bit, whoever else shared the pass (ScoreConsistencyTests says why it matters).
            XCTAssertEqual(answers[index].map(\.index), expected.map(\.index), "request \(index)")
            XCTAssertEqual(answers[index].map(\.score.bitPattern), expected.map(\.score.bitPattern), "request \(index)")
        }
    }
}
