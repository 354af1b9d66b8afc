extension UnsafeMutablePointer where Pointee: BinaryFloatingPoint {
    /// Uninitialised memory for `capacity` values starting on a 64-byte cache-line boundary,
    /// freed with `deallocate()`. Dense matrices and the row solver's scratch space are
    /// allocated so: a vector that starts mid-line makes every 64-byte load of it span two
    /// lines, and the CG kernels over packed vectors ran 25–80% slower that way (k = 64,
    /// AVX-512). Large blocks (factor matrices) are also offered huge pages (`LargePages`).
    static func allocateCacheAligned(capacity: Int) -> UnsafeMutablePointer {
        let bytes = max(1, capacity) * MemoryLayout<Pointee>.stride
        let large = bytes >= LargePages.threshold
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: large ? LargePages.size : 64)
        if large { LargePages.advise(raw, byteCount: bytes) }
        return raw.bindMemory(to: Pointee.self, capacity: max(1, capacity))
    }
}
