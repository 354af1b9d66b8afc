import Foundation

/// Gives each distinct byte string a dense number in order of first appearance, without making a
/// Swift String per row: ingest of tens of millions of rows spends its time here.
struct ByteInterner {
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    private var table: [Int32]
    private var mask: Int

    init(expectedCount: Int = 1024) {
        var size = 1024
        while size < expectedCount * 2 { size <<= 1 }
        table = Array(repeating: -1, count: size)
        mask = size - 1
    }

    /// How many distinct strings were seen.
    var count: Int { hashes.count }

    /// The number of the bytes `bytes[0..<length]`, adding them if new.
    mutating func intern(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> Int {
        let hash = ByteInterner.hash(bytes, length)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = Int(table[slot])
            if entry < 0 { break }
            if hashes[entry] == hash && matches(entry, bytes, length) { return entry }
            slot = (slot + 1) & mask
        }
        let entry = hashes.count
        arena.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
        starts.append(arena.count)
        hashes.append(hash)
        table[slot] = Int32(entry)
        if hashes.count * 2 > table.count { grow() }
        return entry
    }

    /// Interns every string of `other` in its order; returns each one's number here.
    mutating func absorb(_ other: ByteInterner) -> [UInt32] {
        other.arena.withUnsafeBufferPointer { buffer in
            (0..<other.count).map { entry in
                let start = other.starts[entry]
                return UInt32(intern(buffer.baseAddress! + start, other.starts[entry + 1] - start))
            }
        }
    }

    /// The strings in order of their numbers (invalid UTF-8 is repaired, never dropped).
    func strings() -> [String] {
        arena.withUnsafeBufferPointer { buffer in
            (0..<count).map { entry in
                String(decoding: UnsafeBufferPointer(rebasing: buffer[starts[entry]..<starts[entry + 1]]), as: UTF8.self)
            }
        }
    }

    private func matches(_ entry: Int, _ bytes: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        let start = starts[entry]
        guard starts[entry + 1] - start == length else { return false }
        return arena.withUnsafeBufferPointer { memcmp($0.baseAddress! + start, bytes, length) == 0 }
    }

    private mutating func grow() {
        let size = table.count * 2
        table = Array(repeating: -1, count: size)
        mask = size - 1
        for (entry, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while table[slot] >= 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(entry)
        }
    }

    /// A fast 64-bit hash reading eight bytes at a time, with a final avalanche.
    static func hash(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(length)
        var i = 0
        let raw = UnsafeRawPointer(bytes)
        while i + 8 <= length {
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ word) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < length {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        h = h &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
    }
}
