import Foundation

/// Float buffers handed out for one request's scores and taken back afterwards, so the
/// whole-catalogue buffers a similar-items, recommendation or fold-in answer needs stay resident
/// between requests instead of being allocated and freed each time.
///
/// Why it matters: `encore serve` fixes glibc's mmap threshold at 128 KiB (`GlibcMalloc` in the CLI, for
/// the fragmentation a reload otherwise leaves), so every buffer above it is a fresh mapping,
/// faulted in page by page and unmapped again, with a TLB shootdown across the server's threads
/// — for the reference catalogue's 1.2 MB score vector that made similar items 0.60–0.63× as fast
/// as before the fixed threshold (docs/serving.md, run 7). A pool of kept buffers costs a lock
/// per request instead.
/// `@unchecked Sendable`: the free list is touched only under `lock` (an `NSLock`, not Swift's
/// `Mutex`, whose contended path on Linux is a priority-inheritance futex through the kernel:
/// this lock is taken twice a request by every connection thread).
package final class ScratchBuffers: @unchecked Sendable {
    /// The buffers of every request path in the process.
    package static let shared = ScratchBuffers(keeping: 16)

    /// One kept buffer.
    private struct Buffer {
        let base: UnsafeMutablePointer<Float>
        let capacity: Int
    }

    private let lock = NSLock()
    /// The free buffers, at most `keeping` of them.
    private var free: [Buffer] = []
    /// Free buffers kept at most: more requests than this at once allocate, and what they give
    /// back beyond it is freed (the smallest first), so memory held stays bounded by this many
    /// of the largest buffer asked for.
    private let keeping: Int

    /// A pool keeping at most `keeping` free buffers.
    package init(keeping: Int) {
        self.keeping = max(1, keeping)
    }

    deinit {
        for buffer in free { buffer.base.deallocate() }
    }

    /// Calls `body` with `count` floats (64-byte aligned) for its use alone, whose contents are
    /// whatever an earlier user left: `body` must write every entry it reads. The memory is
    /// taken back when `body` returns; `body` must not keep a pointer into it.
    package func withBuffer<Result>(count: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> Result) rethrows -> Result {
        let buffer = take(atLeast: max(1, count))
        defer { giveBack(buffer) }
        return try body(UnsafeMutableBufferPointer(start: buffer.base, count: count))
    }

    /// The smallest free buffer of at least `count` floats, or a new one.
    private func take(atLeast count: Int) -> Buffer {
        lock.lock()
        var best: Int? = nil
        for (index, buffer) in free.enumerated() where buffer.capacity >= count {
            if best == nil || buffer.capacity < free[best!].capacity { best = index }
        }
        let kept = best.map { free.remove(at: $0) }
        lock.unlock()
        return kept ?? Buffer(base: .allocateCacheAligned(capacity: count), capacity: count)
    }

    /// Puts `buffer` back, freeing the smallest free buffer if that makes one too many (a
    /// catalogue that grew leaves its old, too small buffers to go first).
    private func giveBack(_ buffer: Buffer) {
        lock.lock()
        free.append(buffer)
        var surplus: Buffer? = nil
        if free.count > keeping {
            surplus = free.remove(at: free.indices.min { free[$0].capacity < free[$1].capacity }!)
        }
        lock.unlock()
        surplus?.base.deallocate()
    }

    /// Free buffers held now (for tests).
    package var keptCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return free.count
    }
}
