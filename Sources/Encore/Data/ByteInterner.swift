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

    /// The three arrays a lookup reads in random order are offered huge pages (`LargePages`),
    /// here and wherever they grow (with the factor matrices: reading the reference play log
    /// took 0.83 of the time).
    init(expectedCount: Int = 1024, expectedBytes: Int = 0) {
        arena.reserveCapacity(expectedBytes)
        starts.reserveCapacity(expectedCount + 1)
        LargePages.adviseReserved(&arena)
        LargePages.adviseReserved(&starts)
        var size = 1024
        while size < expectedCount * 2 { size <<= 1 }
        table = LargePages.zeroedArray(count: size)
        mask = size - 1
    }

    /// How many distinct strings were seen.
    var count: Int { starts.count - 1 }

    /// How many strings `intern(batch:)` is best given at once (the parser's batches).
    static let batchSize = 32

    /// The numbers of `count` strings (`pointers[i]`, `lengths[i]` bytes), into `numbers`: the
    /// same as `intern` one at a time in that order would give.
    mutating func intern(
        batch pointers: UnsafePointer<UnsafePointer<UInt8>>, lengths: UnsafePointer<Int>, count: Int, into numbers: UnsafeMutablePointer<UInt32>
    ) {
        internAhead(PointedStrings(pointers: pointers, lengths: lengths), count: count, into: numbers)
    }

    /// Numbers the fields `spans` points at, in order, appending their numbers to `numbers`.
    mutating func intern(_ spans: IDSpans, appendingTo numbers: inout [UInt32]) {
        let first = numbers.count
        numbers.append(contentsOf: repeatElement(0, count: spans.count))
        numbers.withUnsafeMutableBufferPointer { numbers in
        spans.offsets.withUnsafeBufferPointer { offsets in
        spans.lengths.withUnsafeBufferPointer { lengths in
            internAhead(SpannedStrings(base: spans.base, offsets: offsets.baseAddress!, lengths: lengths.baseAddress!),
                        count: offsets.count, into: numbers.baseAddress! + first)
        } } }
    }

    /// How many strings ahead each of a lookup's memory requests is made (`internAhead`).
    private static let lead = 8

    /// Interns `strings[0..<count]` in order into `numbers`. A lookup is three dependent cache
    /// misses — table slot, the entry's bounds, its bytes — so each is requested `lead` strings
    /// before the one that needs it: string i + 3·lead is hashed and its slot requested, the slot
    /// of i + 2·lead is read and its bounds requested, the bounds of i + lead are read and its
    /// bytes requested, and string i, whose memory has had time to arrive, is interned. The
    /// requests are only hints: string i is looked up afresh, so an entry added in between (or a
    /// table that grew) cannot make it wrong. Where the batches of 32 this replaced waited on
    /// memory three times a batch, this waits on it about never.
    private mutating func internAhead<Strings: ByteStrings>(_ strings: Strings, count: Int, into numbers: UnsafeMutablePointer<UInt32>) {
        let lead = ByteInterner.lead, ring = 4 * lead
        // Where the three arrays lie, for the requests alone (a request for memory that has
        // moved is harmless; every read goes through the arrays): fetched again after an entry
        // is added, which may move them, rather than asked of the arrays at every request.
        var bases = prefetchBases()
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: ring) { tags in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: ring) { candidates in
            for step in -3 * lead ..< count {
                let hashed = step + 3 * lead
                if hashed < count {
                    let (bytes, length) = strings[hashed]
                    let tag = UInt64(ByteInterner.hash(bytes, length) >> 32)
                    tags[hashed % ring] = tag
                    encore_prefetch(bases.table + 8 * (Int(truncatingIfNeeded: tag) & mask))
                }
                let probed = step + 2 * lead
                if probed >= 0 && probed < count {
                    let tag = tags[probed % ring], occupant = table[Int(truncatingIfNeeded: tag) & mask]
                    let candidate = occupant >> 32 == tag ? Int(truncatingIfNeeded: occupant & 0xFFFF_FFFF) - 1 : -1
                    candidates[probed % ring] = candidate
                    if candidate >= 0 { encore_prefetch(bases.starts + 8 * candidate) }
                }
                let bounded = step + lead
                if bounded >= 0 && bounded < count, case let candidate = candidates[bounded % ring], candidate >= 0 {
                    encore_prefetch(bases.arena + starts[candidate])
                }
                if step >= 0 {
                    let (bytes, length) = strings[step], before = self.count
                    numbers[step] = UInt32(intern(bytes, length, tag: tags[step % ring]))
                    if self.count != before { bases = prefetchBases() }
                }
            }
        } }
    }

    /// The addresses of the table, the bounds and the bytes, for memory requests only.
    private func prefetchBases() -> (table: UnsafeRawPointer, starts: UnsafeRawPointer, arena: UnsafeRawPointer) {
        (table.withUnsafeBytes { $0.baseAddress! }, starts.withUnsafeBytes { $0.baseAddress! },
         arena.withUnsafeBytes { $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)! })
    }

    /// The number of the bytes `bytes[0..<length]`, adding them if new.
    mutating func intern(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> Int {
        intern(bytes, length, tag: UInt64(ByteInterner.hash(bytes, length) >> 32))
    }

    /// `intern` given the string's tag, the high half of its hash.
    private mutating func intern(_ bytes: UnsafePointer<UInt8>, _ length: Int, tag: UInt64) -> Int {
        let (found, slot) = probe(bytes, length, tag: tag)
        if let found { return found }
        let entry = count
        let arenaGrows = arena.count + length > arena.capacity, startsGrow = starts.count == starts.capacity
        arena.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
        starts.append(arena.count)
        if arenaGrows { LargePages.adviseReserved(&arena) }
        if startsGrow { LargePages.adviseReserved(&starts) }
        table[slot] = tag << 32 | UInt64(entry + 1)
        if count * 2 > table.count { grow() }
        return entry
    }

    /// The number of the bytes `bytes[0..<length]`, or nil when they were never interned.
    func number(of bytes: UnsafePointer<UInt8>, _ length: Int) -> Int? {
        probe(bytes, length, tag: UInt64(ByteInterner.hash(bytes, length) >> 32)).found
    }

    /// The entry holding the bytes, or the empty slot where they would go.
    @inline(__always) private func probe(_ bytes: UnsafePointer<UInt8>, _ length: Int, tag: UInt64) -> (found: Int?, slot: Int) {
        var slot = Int(truncatingIfNeeded: tag) & mask
        while true {
            let occupant = table[slot]
            if occupant == 0 { return (nil, slot) }
            if occupant >> 32 == tag {
                let entry = Int(truncatingIfNeeded: occupant & 0xFFFF_FFFF) - 1
                if matches(entry, bytes, length) { return (entry, slot) }
            }
            slot = (slot + 1) & mask
        }
    }

    /// String `entry` (invalid UTF-8 is repaired, never dropped).
    func string(at entry: Int) -> String {
        arena.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[starts[entry]..<starts[entry + 1]]), as: UTF8.self) }
    }

    /// The same strings and numbers with the hash table made the smallest power of two at most
    /// 3/4 full (a lookup then probes about two slots where it probed one or two; interning into
    /// it again grows it back to half full): what an `IDIndex` keeps of a read. The arrays'
    /// spare capacity is left alone: it was never written, so it holds no memory, and copying
    /// the arena to trim it would hold it twice for a moment.
    consuming func compacted() -> ByteInterner {
        var compact = self
        var size = 1024
        while size * 3 < compact.count * 4 { size <<= 1 }
        if size < compact.table.count { compact.rehash(size: size) }
        return compact
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
    func strings() -> [String] { (0..<count).map(string(at:)) }

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

    private mutating func grow() { rehash(size: table.count * 2) }

    /// Moves every entry to a table of `size` slots (a power of two over the count); the tag a
    /// slot holds is the part of the hash that picks its slot, so nothing is hashed again.
    private mutating func rehash(size: Int) {
        var moved: [UInt64] = LargePages.zeroedArray(count: size)
        let newMask = size - 1
        for occupant in table where occupant != 0 {
            var slot = Int(truncatingIfNeeded: occupant >> 32) & newMask
            while moved[slot] != 0 { slot = (slot + 1) & newMask }
            moved[slot] = occupant
        }
        table = moved
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

/// Strings given by index, as `ByteInterner.internAhead` reads them.
private protocol ByteStrings {
    subscript(index: Int) -> (UnsafePointer<UInt8>, Int) { get }
}

/// Strings as an array of pointers and one of lengths (a parser's pending batch).
private struct PointedStrings: ByteStrings {
    let pointers: UnsafePointer<UnsafePointer<UInt8>>
    let lengths: UnsafePointer<Int>
    @inline(__always) subscript(index: Int) -> (UnsafePointer<UInt8>, Int) { (pointers[index], lengths[index]) }
}

/// Strings as offsets from one base and lengths (`IDSpans`).
private struct SpannedStrings: ByteStrings {
    let base: UnsafePointer<UInt8>
    let offsets: UnsafePointer<UInt32>
    let lengths: UnsafePointer<UInt32>
    @inline(__always) subscript(index: Int) -> (UnsafePointer<UInt8>, Int) { (base + Int(offsets[index]), Int(lengths[index])) }
}
