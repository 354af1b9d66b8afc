import CEncoreKernels

/// Gives each distinct byte string a dense number in order of first appearance, without making a
/// Swift String per row: ingest of tens of millions of rows spends its time here.
///
/// A lookup is memory-bound (a read numbers each row's user against a table of hundreds of
/// thousands of IDs in random order), so it is laid out to touch as few cache lines as it can:
/// the table's slot, then the entry's record — its number followed by its bytes. A slot is 0
/// when empty, else 16 bits of the string's hash (its tag), its length (255 for 255 bytes or
/// more) and where its record starts + 1; so a probe reads nothing else until a string of the
/// same tag and length is really likely to match, and a match reads one record. (Slots holding
/// the number instead sent every lookup through the records' offsets first: a quarter more
/// lines; the record's 4-byte number is the price.)
struct ByteInterner {
    /// Records back to back: each entry's number (UInt32, little-endian) and then its bytes.
    private var arena: [UInt8] = []
    /// Where entry e's record starts, and after the last the arena's end (count + 1 values).
    private var starts: [Int] = [0]
    private var table: [UInt64]
    private var mask: Int

    /// Bytes of a record before the string's own.
    private static let numberSize = 4
    /// Lengths from this up are held in a slot as this; the true one is read from `starts`.
    private static let longLength = 255

    /// The arrays a lookup reads in random order are offered huge pages (`LargePages`),
    /// here and wherever they grow (with the factor matrices: reading the reference play log
    /// took 0.83 of the time).
    init(expectedCount: Int = 1024, expectedBytes: Int = 0) {
        arena.reserveCapacity(expectedBytes + ByteInterner.numberSize * expectedCount)
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

    /// Interns `strings[0..<count]` in order into `numbers`. A lookup is two dependent cache
    /// misses — the table slot, then the record — so each is requested `lead` strings before
    /// the one that needs it: string i + 2·lead is hashed and its slot requested, the slot of
    /// i + lead is read and its record's first and last bytes requested, and string i, whose
    /// memory has had time to arrive, is interned. The requests are only hints: string i is
    /// looked up afresh, so an entry added in between (or a table that grew) cannot make it
    /// wrong. Where the batches of 32 this replaced waited on memory at every step of a batch,
    /// this waits on it about never.
    private mutating func internAhead<Strings: ByteStrings>(_ strings: Strings, count: Int, into numbers: UnsafeMutablePointer<UInt32>) {
        let lead = ByteInterner.lead, ring = 4 * lead  // more than the 2·lead + 1 strings in flight
        // Where the table and the records lie, for the requests alone (a request for memory
        // that has moved is harmless; every read goes through the arrays): fetched again after
        // an entry is added, which may move them, rather than asked of the arrays each time.
        var bases = prefetchBases()
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: ring) { hashes in
            for step in -2 * lead ..< count {
                let hashed = step + 2 * lead
                if hashed < count {
                    let (bytes, length) = strings[hashed]
                    let hash = ByteInterner.hash(bytes, length)
                    hashes[hashed % ring] = hash
                    encore_prefetch(bases.table + 8 * (Int(truncatingIfNeeded: hash) & mask))
                }
                let probed = step + lead
                if probed >= 0 && probed < count {
                    let (_, length) = strings[probed]
                    let hash = hashes[probed % ring], occupant = table[Int(truncatingIfNeeded: hash) & mask]
                    if occupant != 0 && occupant & ByteInterner.keyMask == ByteInterner.key(hash, length) {
                        let record = ByteInterner.recordStart(occupant)
                        encore_prefetch(bases.arena + record)
                        encore_prefetch(bases.arena + record + ByteInterner.numberSize + max(0, length - 1))
                    }
                }
                if step >= 0 {
                    let (bytes, length) = strings[step], before = self.count
                    numbers[step] = UInt32(intern(bytes, length, hash: hashes[step % ring]))
                    if self.count != before { bases = prefetchBases() }
                }
            }
        }
    }

    /// The addresses of the table and the records, for memory requests only.
    private func prefetchBases() -> (table: UnsafeRawPointer, arena: UnsafeRawPointer) {
        (table.withUnsafeBytes { $0.baseAddress! }, arena.withUnsafeBytes { $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)! })
    }

    /// The number of the bytes `bytes[0..<length]`, adding them if new.
    mutating func intern(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> Int {
        intern(bytes, length, hash: ByteInterner.hash(bytes, length))
    }

    /// `intern` given the string's hash.
    private mutating func intern(_ bytes: UnsafePointer<UInt8>, _ length: Int, hash: UInt64) -> Int {
        let (found, slot) = probe(bytes, length, hash: hash)
        if let found { return found }
        let entry = count, record = arena.count
        precondition(entry < Int(UInt32.max) && record < ByteInterner.recordLimit, "more IDs than an ID table holds")
        let arenaCapacity = arena.capacity, startsGrow = starts.count == starts.capacity
        withUnsafeBytes(of: UInt32(entry).littleEndian) { arena.append(contentsOf: $0) }
        arena.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
        starts.append(arena.count)
        if arena.capacity != arenaCapacity { LargePages.adviseReserved(&arena) }
        if startsGrow { LargePages.adviseReserved(&starts) }
        table[slot] = ByteInterner.key(hash, length) | UInt64(record + 1)
        if count * 2 > table.count { grow() }
        return entry
    }

    /// The number of the bytes `bytes[0..<length]`, or nil when they were never interned.
    func number(of bytes: UnsafePointer<UInt8>, _ length: Int) -> Int? {
        probe(bytes, length, hash: ByteInterner.hash(bytes, length)).found
    }

    /// The entry holding the bytes, or the empty slot where they would go.
    @inline(__always) private func probe(_ bytes: UnsafePointer<UInt8>, _ length: Int, hash: UInt64) -> (found: Int?, slot: Int) {
        let key = ByteInterner.key(hash, length)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let occupant = table[slot]
            if occupant == 0 { return (nil, slot) }
            if occupant & ByteInterner.keyMask == key, let entry = entry(at: ByteInterner.recordStart(occupant), ifHolding: bytes, length) {
                return (entry, slot)
            }
            slot = (slot + 1) & mask
        }
    }

    // A slot: tag (16 bits) | length (8) | record start + 1 (40: an arena of up to 1 TiB).
    private static let keyMask: UInt64 = 0xFFFF_FF00_0000_0000
    private static let recordLimit = 1 << 40 - 1

    /// A slot's tag and length: what must equal a string's for its record to be read.
    @inline(__always) private static func key(_ hash: UInt64, _ length: Int) -> UInt64 {
        hash & 0xFFFF_0000_0000_0000 | UInt64(min(length, longLength)) << 40
    }

    @inline(__always) private static func recordStart(_ occupant: UInt64) -> Int { Int(truncatingIfNeeded: occupant & 0xFF_FFFF_FFFF) - 1 }

    /// The number in the record at `record` when its string is `bytes[0..<length]` (whose
    /// length, up to `longLength`, the slot already matched), compared eight bytes at a time
    /// inline (a call to memcmp costs more than comparing a 40-character ID); else nil.
    @inline(__always) private func entry(at record: Int, ifHolding bytes: UnsafePointer<UInt8>, _ length: Int) -> Int? {
        arena.withUnsafeBufferPointer { arena in
            let raw = UnsafeRawPointer(arena.baseAddress! + record)
            let entry = Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
            if length >= ByteInterner.longLength && starts[entry + 1] - record - ByteInterner.numberSize != length { return nil }
            let stored = raw + ByteInterner.numberSize, given = UnsafeRawPointer(bytes)
            var i = 0
            while i + 8 <= length {
                if stored.loadUnaligned(fromByteOffset: i, as: UInt64.self) != given.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return nil }
                i += 8
            }
            while i < length {
                if stored.load(fromByteOffset: i, as: UInt8.self) != bytes[i] { return nil }
                i += 1
            }
            return entry
        }
    }

    /// The bytes of entry `entry`.
    private func withBytes<Result>(of entry: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        arena.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[starts[entry] + ByteInterner.numberSize..<starts[entry + 1]])) }
    }

    /// String `entry` (invalid UTF-8 is repaired, never dropped).
    func string(at entry: Int) -> String {
        withBytes(of: entry) { String(decoding: $0, as: UTF8.self) }
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
        (0..<other.count).map { entry in
            other.withBytes(of: entry) { UInt32(intern($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count)) }
        }
    }

    /// The strings in order of their numbers (invalid UTF-8 is repaired, never dropped).
    func strings() -> [String] { (0..<count).map(string(at:)) }

    private mutating func grow() { rehash(size: table.count * 2) }

    /// Moves every entry to a table of `size` slots (a power of two over the count), each
    /// string hashed again from its record (a slot keeps too little of the hash to place it).
    /// The entries go in order of their numbers, so their slots are random: each slot is
    /// requested `lead` entries ahead (waiting on each in turn was 80% of a rehash, and a sixth
    /// of reading ten million distinct IDs).
    private mutating func rehash(size: Int) {
        var moved: [UInt64] = LargePages.zeroedArray(count: size)
        let newMask = size - 1, numberSize = ByteInterner.numberSize, lead = ByteInterner.lead, ring = 2 * lead
        arena.withUnsafeBufferPointer { arena in
        starts.withUnsafeBufferPointer { starts in
        moved.withUnsafeMutableBufferPointer { moved in
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: ring) { hashes in
            let count = starts.count - 1
            func hash(_ entry: Int) -> UInt64 {
                ByteInterner.hash(arena.baseAddress! + starts[entry] + numberSize, starts[entry + 1] - starts[entry] - numberSize)
            }
            for entry in -lead ..< count {
                if entry + lead < count {
                    let ahead = hash(entry + lead)
                    hashes[(entry + lead) % ring] = ahead
                    encore_prefetch(moved.baseAddress! + (Int(truncatingIfNeeded: ahead) & newMask))
                }
                guard entry >= 0 else { continue }
                let hash = hashes[entry % ring], record = starts[entry]
                var slot = Int(truncatingIfNeeded: hash) & newMask
                while moved[slot] != 0 { slot = (slot + 1) & newMask }
                moved[slot] = ByteInterner.key(hash, starts[entry + 1] - record - numberSize) | UInt64(record + 1)
            }
        } } } }
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
