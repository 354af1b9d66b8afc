import XCTest
@testable import Encore

/// Top-k selection against sorting.
final class TopKTests: XCTestCase {
    func testMatchesFullSortWithTiesBrokenByIndex() {
        var random = RandomSource(seed: 2)
        for k in [0, 1, 3, 10, 50] {
            let scores = (0..<40).map { _ in Float(Int(random.nextUniform() * 8)) }
            var top = TopK(k: k)
            for (index, score) in scores.enumerated() { top.offer(index: index, score: score) }
            let expected = scores.enumerated().sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
                .prefix(k).map { ScoredItem(index: $0.offset, score: $0.element) }
            XCTAssertEqual(top.sorted(), Array(expected), "k = \(k)")
        }
    }
}
