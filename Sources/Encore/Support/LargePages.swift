import Foundation

/// Transparent huge pages for memory read in random order: the other side's factor matrix,
/// whose rows training gathers (tens of megabytes), and the hash table and strings that reading
/// a play log looks IDs up in. Over tens of megabytes of 4 KiB pages, such an access needs a
/// page-table walk (under a hypervisor, through two sets of tables) whenever its page is not
/// among the few thousand the TLB holds; 2 MiB pages cover the same memory with a few dozen.
/// Asked for huge pages, reading the reference play log took 0.83 of the time and a CG k = 64
/// iteration on it 0.79–0.98 (medians of series of alternating runs, docs/benchmarks.md); NumPy
/// asks for them too, so `implicit` had them all along. Debian's kernels give huge pages only
/// where a program asks (`madvise`, the default of `transparent_hugepage/enabled`), so Encore
/// asks, for blocks that hold whole 2 MiB pages. A request the kernel declines (huge pages off,
/// none free) changes only the speed; granted, a block's last page may hold up to 2 MiB that
/// 4 KiB pages would have left out.
enum LargePages {
    /// The huge page size of x86-64 and of most arm64 kernels.
    static let size = 2 << 20
    /// Blocks from this size on are aligned to `size` and advised (`allocateCacheAligned`).
    static let threshold = 2 * size

    /// Asks for huge pages over the whole 2 MiB pages inside `pointer..<pointer + byteCount`.
    /// Must come before the memory is first written: pages already touched stay small.
    static func advise(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        #if os(Linux)
        let first = (Int(bitPattern: pointer) + size - 1) / size * size
        let end = (Int(bitPattern: pointer) + byteCount) / size * size
        guard end > first, let start = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(start, end - first, MADV_HUGEPAGE)
        #endif
    }

    /// `count` zeros in an array whose storage was advised before the zeros were written.
    static func zeroedArray<T: FixedWidthInteger>(count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { advise(UnsafeMutableRawPointer(base), byteCount: count * MemoryLayout<T>.stride) }
            buffer.initialize(repeating: 0)
            initialized = count
        }
    }

    /// Advises the storage `array` has reserved past its elements, which appends will write.
    static func adviseReserved<T>(_ array: inout [T]) {
        let capacity = array.capacity, count = array.count
        array.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            advise(UnsafeMutableRawPointer(base + count), byteCount: (capacity - count) * MemoryLayout<T>.stride)
        }
    }
}
