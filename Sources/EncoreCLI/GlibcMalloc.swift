/// What the CLI asks of glibc's allocator: a process policy, which the library leaves to the
/// program.
package enum GlibcMalloc {
    /// Fixes the mmap threshold — the size from which `malloc` gives a block its own mapping,
    /// which `free` hands back to the system — at 128 KiB, its starting value. Left to itself,
    /// glibc raises the threshold to the size of each large block freed (up to 32 MiB), and
    /// blocks under it then come from heap arenas, which keep them once freed.
    ///
    /// `encore serve`: a reload frees the old model's multi-megabyte matrices; the next models
    /// were carved from the arenas of whichever threads loaded and freed them, and fragments
    /// piled up (a soak's RSS grew 42 → 84 MB over 160 reloads; 42 → 52 MB over 120 with the
    /// threshold fixed; docs/reliability.md). `encore train` and `encore import`: what reading
    /// and building freed stayed resident beside the arrays made next (the reference log's
    /// import peaked at 398 MiB, 352 with the threshold fixed; docs/benchmarks.md). Code that
    /// runs under it keeps buffers it needs again (the windows of a read, the turns' scratch)
    /// rather than mapping and clearing them afresh.
    package static func fixMmapThreshold() {
        _ = mallopt(glibcMmapThreshold, 128 * 1024)
    }
}

/// glibc's `mallopt`, which Swift's Glibc module does not bring in (it lives in malloc.h).
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
/// malloc.h's `M_MMAP_THRESHOLD`.
private let glibcMmapThreshold: Int32 = -3
