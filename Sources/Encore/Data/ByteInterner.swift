import CEncoreKernels

/// Gives each distinct byte string a dense number in order of first appearance, without making a
/// Swift String per row: ingest of tens of millions of rows spends its time here.
struct ByteInterner {
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    /// Open addressing; a slot is 0 when empty, else the high 32 bits of the string's hash
    /// (its tag, whose low bits also pick the slot) over its number + 1. Keeping the tag in the
    /// slot means a probe touches one cache line until a candidate is really likely to match.
    private var table: [UInt64]
    private var mask: Int

    init(expectedCount: Int = 1024) {
        var size = 1024
        while size < expectedCount * 2 { size <<= 1 }
        table = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// How many distinct strings were seen.
    var count: Int { starts.count - 1 }

    /// How many strings `intern(batch:)` is best given at once: enough misses in flight to
    /// cover memory's latency, few enough that what they bring stays in L1.
    static let batchSize = 32

    /// The numbers of `count` strings (`pointers[i]`, `lengths[i]` bytes), into `numbers`: the
    /// same as `intern` one at a time in that order would give. A lookup is three dependent
    /// cache misses — table slot, the entry's bounds, its bytes — so first every string's slot
    /// is requested, then every candidate's bounds, then its bytes, and only then is each
    /// compared: the batch waits on memory three times rather than each string three times.
    mutating func intern(
        batch pointers: UnsafePointer<UnsafePointer<UInt8>>, lengths: UnsafePointer<Int>, count: Int, into numbers: UnsafeMutablePointer<UInt32>
    ) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { tags in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { candidates in
                table.withUnsafeBufferPointer { table in
                    for i in 0..<count {
                        tags[i] = UInt64(ByteInterner.hash(pointers[i], lengths[i]) >> 32)
                        encore_prefetch(table.baseAddress! + (Int(truncatingIfNeeded: tags[i]) & mask))
                    }
                    starts.withUnsafeBufferPointer { starts in
                        for i in 0..<count {
                            let occupant = table[Int(truncatingIfNeeded: tags[i]) & mask]
                            candidates[i] = occupant >> 32 == tags[i] ? Int(truncatingIfNeeded: occupant & 0xFFFF_FFFF) - 1 : -1
                            if candidates[i] >= 0 { encore_prefetch(starts.baseAddress! + candidates[i]) }
                        }
                        arena.withUnsafeBufferPointer { arena in
                            for i in 0..<count where candidates[i] >= 0 {
                                encore_prefetch(arena.baseAddress! + starts[candidates[i]])
                            }
                        }
                    }
                }
                for i in 0..<count { numbers[i] = UInt32(intern(pointers[i], lengths[i], tag: tags[i])) }
            }
        }
    }

    /// The number of the bytes `bytes[0..<length]`, adding them if new.
    mutating func intern(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> Int {
        intern(bytes, length, tag: UInt64(ByteInterner.hash(bytes, length) >> 32))
    }

    /// `intern` given the string's tag, the high half of its hash.
    private mutating func intern(_ bytes: UnsafePointer<UInt8>, _ length: Int, tag: UInt64) -> Int {
        var slot = Int(truncatingIfNeeded: tag) & mask
        while true {
            let occupant = table[slot]
            if occupant == 0 { break }
            if occupant >> 32 == tag {
                let entry = Int(truncatingIfNeeded: occupant & 0xFFFF_FFFF) - 1
                if matches(entry, bytes, length) { return entry }
            }
            slot = (slot + 1) & mask
        }
        let entry = count
        arena.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
        starts.append(arena.count)
        table[slot] = tag << 32 | UInt64(entry + 1)
        if count * 2 > table.count { grow() }
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

    /// Whether entry `entry` is the bytes `bytes[0..<length]`, compared eight bytes at a time
    /// inline (a call to memcmp costs more than comparing a 40-character ID).
    private func matches(_ entry: Int, _ bytes: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        let start = starts[entry]
        guard starts[entry + 1] - start == length else { return false }
        return arena.withUnsafeBufferPointer { arena in
            let stored = UnsafeRawPointer(arena.baseAddress! + start), given = UnsafeRawPointer(bytes)
            var i = 0
            while i + 8 <= length {
                if stored.loadUnaligned(fromByteOffset: i, as: UInt64.self) != given.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
                i += 8
            }
            while i < length {
                if arena[start + i] != bytes[i] { return false }
                i += 1
            }
            return true
        }
    }

    private mutating func grow() {
        let size = table.count * 2
        var grown = [UInt64](repeating: 0, count: size)
        let newMask = size - 1
        for occupant in table where occupant != 0 {
            var slot = Int(truncatingIfNeeded: occupant >> 32) & newMask
            while grown[slot] != 0 { slot = (slot + 1) & newMask }
            grown[slot] = occupant
        }
        table = grown
        mask = newMask
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
