/// glibc's mmap threshold — the size from which `malloc` gives a block its own mapping, which
/// `free` hands back to the system — fixed at 128 KiB, its starting value. Left to itself,
/// glibc raises the threshold to the size of each large block freed, up to 32 MiB, and blocks
/// under it are then carved from the heap, whose top is returned only when it is free: after
/// reading a play log, the next hundreds of megabytes come from a heap that never shrinks.
/// Commands that hold large arrays one after another fix it before anything is allocated.
enum MmapThreshold {
    /// Keeps every block of 128 KiB or more in its own mapping for the rest of the process.
    /// `encore serve`: its reloads free multi-megabyte models (a soak's RSS grew 42 → 84 MB
    /// over 160 reloads with the threshold left to move, 42 → 52 MB over 120 without;
    /// docs/reliability.md). `encore train` and `encore import`: their peaks (docs/benchmarks.md).
    static func fix() {
        _ = glibcMallopt(glibcMmapThreshold, 128 * 1024)
    }
}

/// glibc's `mallopt`, which Swift's Glibc module does not bring in (it lives in malloc.h).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
/// malloc.h's `M_MMAP_THRESHOLD`.
private let glibcMmapThreshold: Int32 = -3
