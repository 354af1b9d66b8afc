import Dispatch
import Foundation

/// Encore's one way of running loops on several threads: the range is cut into fixed chunks that
/// idle threads take one at a time, because row lengths follow a power law and equal static
/// slices would leave a core idle.
package enum Parallel {
    /// The number of threads Encore uses when the caller does not say: every core.
    package static var defaultThreadCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Calls `body(chunkRange, chunkIndex)` once for every chunk of `0..<count`, on up to `threads`
    /// threads. Chunk boundaries depend only on `count` and `chunkSize`, never on `threads`, so
    /// per-chunk results combined in chunk order are the same for any thread count.
    package static func forEachChunk(
        count: Int, chunkSize: Int, threads: Int, _ body: (Range<Int>, Int) -> Void
    ) {
        guard count > 0 else { return }
        let size = max(1, chunkSize)
        let chunkCount = (count + size - 1) / size
        let workers = max(1, min(threads, chunkCount))
        let chunk = { (index: Int) -> Range<Int> in index * size ..< min(count, (index + 1) * size) }
        if workers == 1 {
            for index in 0..<chunkCount { body(chunk(index), index) }
            return
        }
        let dispenser = ChunkDispenser()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index = dispenser.next()
                if index >= chunkCount { break }
                body(chunk(index), index)
            }
        }
    }

    /// The number of chunks `forEachChunk` makes for `count` elements.
    package static func chunkCount(count: Int, chunkSize: Int) -> Int {
        let size = max(1, chunkSize)
        return (count + size - 1) / size
    }
}

/// Hands out chunk numbers, one at a time, to whichever thread asks first.
private final class ChunkDispenser: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let current = value
        value += 1
        return current
    }
}
