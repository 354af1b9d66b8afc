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
        // One request at a time: each is scored alone, through the same longest-first path.
        for user in 0..<24 {
            let alone = coalescer.recommend(model: model, user: user, count: 10, excludeSeen: user % 2 == 0)
            let expected = TopNRecommendation.recommend(model, user: user, count: 10, seen: user % 2 == 0 ? model.interactions : nil)
            XCTAssertEqual(alone.map(\.index), expected.map(\.index), "user \(user) alone")
            XCTAssertEqual(alone.map(\.score.bitPattern), expected.map(\.score.bitPattern), "user \(user) alone")
        }
    }

    /// Similar-item requests scored together get the lists each item gets alone, bit for bit.
    func testConcurrentSimilarItemRequestsGetTheirOwnExactLists() throws {
        let model = try MusicFeatureTests.makeModel()
        let coalescer = CoalescingRecommender(workers: 2, maxBatch: 8)
        let queries = Array(0..<model.itemCount) + Array(0..<model.itemCount).reversed()
        let minimum = { (index: Int) in [0, 1, SimilarItems.defaultMinimumListeners][index % 3] }
        var answers = [[ScoredItem]](repeating: [], count: queries.count)
        answers.withUnsafeMutableBufferPointer { answers in
            DispatchQueue.concurrentPerform(iterations: 32) { lane in
                for index in stride(from: lane, to: queries.count, by: 32) {
                    answers[index] = coalescer.similar(model: model, item: queries[index], count: 1 + index % 15, minimumListeners: minimum(index))
                }
            }
        }
        for (index, item) in queries.enumerated() {
            let alone = SimilarItems.similar(to: item, count: 1 + index % 15, in: model, minimumListeners: minimum(index))
            XCTAssertEqual(answers[index].map(\.index), alone.map(\.index), "request \(index)")
            XCTAssertEqual(answers[index].map(\.score.bitPattern), alone.map(\.score.bitPattern), "request \(index)")
        }
        // And a batch of many items at once, directly.
        let batch = SimilarItems.similar(to: [5, 5, 0, 79, 33], count: 12, in: model, minimumListeners: 2)
        for (item, list) in zip([5, 5, 0, 79, 33], batch) {
            XCTAssertEqual(list.map(\.score.bitPattern), SimilarItems.similar(to: item, count: 12, in: model, minimumListeners: 2).map(\.score.bitPattern))
            XCTAssertFalse(list.contains { $0.index == item })
        }
    }

    /// A coalescer that is dropped stops its scoring threads: they held it unowned before and
    /// waited on its freed condition for ever (a freed router crashed the process when one woke),
    /// so 20 dropped coalescers of 2 threads left 40 threads behind.
    func testDroppedCoalescersStopTheirThreads() throws {
        let model = try MusicFeatureTests.makeModel()
        let expected = TopNRecommendation.recommend(model, user: 0, count: 5, seen: model.interactions)
        func threadCount() throws -> Int {
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }
            return Int(line?.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "") ?? -1
        }
        let before = try threadCount()
        for _ in 0..<20 {
            let coalescer = CoalescingRecommender(workers: 2, maxBatch: 4)
            XCTAssertEqual(coalescer.recommend(model: model, user: 0, count: 5, excludeSeen: true).map(\.index), expected.map(\.index))
        }
        var after = try threadCount()
        for _ in 0..<50 where after > before + 4 {
            Thread.sleep(forTimeInterval: 0.05)
            after = try threadCount()
        }
        XCTAssertGreaterThan(before, 0)
        XCTAssertLessThanOrEqual(after, before + 4, "scoring threads of dropped coalescers still running")
    }
}
