import XCTest
import Synchronization
@testable import Encore

/// A model's derived tables: made once however many threads ask at once, and the same value to all.
final class ComputedOnceTests: XCTestCase {
    final class Box: Sendable {
        let value: Int
        init(_ value: Int) { self.value = value }
    }

    func testManyFirstCallersGetOneValueMadeOnce() {
        for _ in 0..<50 {
            let slot = ComputedOnce<Box>()
            let made = Atomic<Int>(0)
            var seen = [ObjectIdentifier?](repeating: nil, count: 64)
            seen.withUnsafeMutableBufferPointer { seen in
                DispatchQueue.concurrentPerform(iterations: 64) { lane in
                    let box = slot.value {
                        let count = made.add(1, ordering: .relaxed).newValue
                        usleep(200)  // a slow first make, so that others arrive while it runs
                        return Box(count)
                    }
                    XCTAssertEqual(box.value, 1)
                    seen[lane] = ObjectIdentifier(box)
                }
            }
            XCTAssertEqual(made.load(ordering: .relaxed), 1, "made more than once")
            XCTAssertEqual(Set(seen).count, 1, "callers got different values")
        }
    }
}
