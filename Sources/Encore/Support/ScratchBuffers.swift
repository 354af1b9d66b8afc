import Synchronization

/// Float buffers handed out for one request's scores and taken back afterwards, so the
/// whole-catalogue buffers a similar-items, recommendation or fold-in answer needs stay resident
/// between requests instead of being allocated and freed each time.
///
/// Why it matters: `encore serve` fixes glibc's mmap threshold at 128 KiB (`ServeCommand`, for
/// the fragmentation a reload otherwise leaves), so every buffer above it is a fresh mapping,
/// faulted in page by page and unmapped again, with a TLB shootdown across the server's threads
/// — for the reference catalogue's 1.2 MB score vector that made similar items 0.60–0.63× as fast
/// as before the fixed threshold (docs/serving.md, run 7). A pool of kept buffers costs a lock
/// per request instead.
package final class ScratchBuffers: Sendable {
    /// The buffers of every request path in the process.
    package static let shared = ScratchBuffers(keeping: 16)

    /// One kept buffer; `Sendable` because only the thread that took it from the pool uses it.
    private struct Buffer: @unchecked Sendable {
        let base: UnsafeMutablePointer<Float>
        let capacity: Int
    }

    /// The free buffers, at most `keeping` of them.
    private let free = Mutex<[Buffer]>([])
    /// Free buffers kept at most: more requests than this at once allocate, and what they give
    /// back beyond it is freed (the smallest first), so memory held stays bounded by this many
    /// of the largest buffer asked for.
    private let keeping: Int

    /// A pool keeping at most `keeping` free buffers.
    package init(keeping: Int) {
        self.keeping = max(1, keeping)
    }

    deinit {
        free.withLock { buffers in for buffer in buffers { buffer.base.deallocate() } }
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
        let kept = free.withLock { buffers -> Buffer? in
            var best: Int? = nil
            for (index, buffer) in buffers.enumerated() where buffer.capacity >= count {
                if best == nil || buffer.capacity < buffers[best!].capacity { best = index }
            }
            return best.map { buffers.remove(at: $0) }
        }
        return kept ?? Buffer(base: .allocateCacheAligned(capacity: count), capacity: count)
    }

    /// Puts `buffer` back, freeing the smallest free buffer if that makes one too many (a
    /// catalogue that grew leaves its old, too small buffers to go first).
    private func giveBack(_ buffer: Buffer) {
        let surplus = free.withLock { buffers -> Buffer? in
            buffers.append(buffer)
            guard buffers.count > keeping else { return nil }
            let smallest = buffers.indices.min { buffers[$0].capacity < buffers[$1].capacity }!
            return buffers.remove(at: smallest)
        }
        surplus?.base.deallocate()
    }

    /// Free buffers held now (for tests).
    package var keptCount: Int { free.withLock { $0.count } }
}
