import Foundation

/// c₁ = c − 1 = α·g(r) of every entry of one side's ratings, as training holds them. When the
/// side's weights take few distinct values (play counts are integers, most of them small), each
/// entry is a one- or two-byte code into a table of the Floats the confidence function gives for
/// those weights; otherwise it is a Float. A code is exact — the table holds the very Float the
/// function returns for that weight — so a coded side trains the same model, bit for bit, in a
/// quarter or half of the memory. Every solver reads a row's confidences through
/// `UnsafeEntryConfidences.row(_:scratch:)`, which decodes a coded row into a Float scratch of
/// the thread's (one table lookup an entry, next to a 256-byte vector gathered per entry).
package struct EntryConfidences: Sendable {
    private enum Storage: Sendable {
        case floats([Float])
        case oneByte([UInt8])
        case twoBytes([UInt16])
    }

    /// The most distinct weights a side may have to be coded (two-byte codes).
    package static let largestTable = 1 << 16

    private let storage: Storage
    /// The Float each code stands for, in code order (empty when the entries are Floats).
    private let table: [Float]

    /// Confidences held as one Float an entry.
    package init(floats: [Float]) {
        storage = .floats(floats)
        table = []
    }

    private init(storage: Storage, table: [Float]) {
        self.storage = storage
        self.table = table
    }

    /// Number of entries.
    package var count: Int {
        switch storage {
        case .floats(let values): values.count
        case .oneByte(let codes): codes.count
        case .twoBytes(let codes): codes.count
        }
    }

    /// Bytes held per entry: 1 or 2 when coded, 4 when not.
    package var bytesPerEntry: Int {
        switch storage {
        case .floats: 4
        case .oneByte: 1
        case .twoBytes: 2
        }
    }

    /// The confidence of entry `position` (for checks and tests; the solvers read whole rows).
    package subscript(position: Int) -> Float {
        switch storage {
        case .floats(let values): values[position]
        case .oneByte(let codes): table[Int(codes[position])]
        case .twoBytes(let codes): table[Int(codes[position])]
        }
    }

    /// How many of `range`'s entries have c₁ > 0 (when the confidences stand for the weights,
    /// the row's count of r > 0).
    func positives(in range: Range<Int>) -> Int {
        switch storage {
        case .floats(let values): return range.reduce(0) { $0 + (values[$1] > 0 ? 1 : 0) }
        case .oneByte(let codes): return range.reduce(0) { $0 + (table[Int(codes[$1])] > 0 ? 1 : 0) }
        case .twoBytes(let codes): return range.reduce(0) { $0 + (table[Int(codes[$1])] > 0 ? 1 : 0) }
        }
    }

    /// Calls `body` with the entries held still behind raw pointers.
    func withUnsafeEntries<Result>(_ body: (UnsafeEntryConfidences) throws -> Result) rethrows -> Result {
        try table.withUnsafeBufferPointer { table in
            switch storage {
            case .floats(let values):
                return try values.withUnsafeBufferPointer { try body(UnsafeEntryConfidences(floats: $0.baseAddress, codes: .none, table: nil)) }
            case .oneByte(let codes):
                return try codes.withUnsafeBufferPointer { try body(UnsafeEntryConfidences(floats: nil, codes: .oneByte($0.baseAddress), table: table.baseAddress)) }
            case .twoBytes(let codes):
                return try codes.withUnsafeBufferPointer { try body(UnsafeEntryConfidences(floats: nil, codes: .twoBytes($0.baseAddress), table: table.baseAddress)) }
            }
        }
    }
}

/// One side's confidences through raw pointers, for the solvers' row loop (valid only inside
/// `EntryConfidences.withUnsafeEntries`).
struct UnsafeEntryConfidences {
    enum Codes {
        case none
        case oneByte(UnsafePointer<UInt8>?)
        case twoBytes(UnsafePointer<UInt16>?)
    }

    let floats: UnsafePointer<Float>?
    let codes: Codes
    let table: UnsafePointer<Float>?

    /// The confidences of entries `range`, one Float each: in place when they are Floats,
    /// otherwise decoded into `scratch` (valid until its next use).
    @inline(__always) func row(_ range: Range<Int>, scratch: ConfidenceScratch) -> UnsafeBufferPointer<Float> {
        switch codes {
        case .none:
            return UnsafeBufferPointer(start: floats.map { $0 + range.lowerBound }, count: range.count)
        case .oneByte(let codes):
            return scratch.decode(codes.map { $0 + range.lowerBound }, count: range.count, table: table!)
        case .twoBytes(let codes):
            return scratch.decode(codes.map { $0 + range.lowerBound }, count: range.count, table: table!)
        }
    }
}

/// One thread's Float copy of a coded row's confidences, grown to the longest row it has held.
final class ConfidenceScratch {
    private var values: UnsafeMutablePointer<Float>
    private var capacity = 0

    init() { values = .allocateCacheAligned(capacity: 1) }

    deinit { values.deallocate() }

    /// `table[codes[p]]` for the `count` codes, into this scratch.
    @inline(__always) func decode<Code: FixedWidthInteger>(
        _ codes: UnsafePointer<Code>?, count: Int, table: UnsafePointer<Float>
    ) -> UnsafeBufferPointer<Float> {
        if capacity < count {
            values.deallocate()
            capacity = max(count, 2 * capacity)
            values = .allocateCacheAligned(capacity: capacity)
        }
        if let codes {
            for p in 0..<count { values[p] = table[Int(codes[p])] }
        }
        return UnsafeBufferPointer(start: values, count: count)
    }
}

extension EntryConfidences {
    /// The confidences of `weights` as codes into a table, when the weights have at most
    /// `largestTable` distinct values and every positive weight's confidence is positive (so
    /// that the confidences can stand for the weights: the solvers read a weight only as "is it
    /// positive"); nil otherwise. `confidence` is the function c₁(r), called once per distinct
    /// weight. The codes are numbered in the weights' order, so they do not depend on `threads`.
    ///
    /// With `releasing`, the caller owns `weights` and will not read them again: their pages
    /// are handed back to the kernel as they are coded, so the side's memory falls from 4
    /// bytes an entry towards 1 or 2 without both being held at once.
    static func coding(
        _ weights: UnsafeBufferPointer<Float>, releasing: Bool, threads: Int, confidence: (Float) -> Float
    ) -> EntryConfidences? {
        guard let distinct = WeightCodeTable.distinctWeights(of: weights, limit: largestTable, threads: threads) else { return nil }
        let table = distinct.map { confidence(Float(bitPattern: $0)) }
        for (bits, c) in zip(distinct, table) where Float(bitPattern: bits) > 0 && !(c > 0) { return nil }
        let lookup = WeightCodeTable(keys: distinct)
        if distinct.count <= 1 << 8 {
            let codes: [UInt8] = lookup.codes(of: weights, releasing: releasing, threads: threads)
            return EntryConfidences(storage: .oneByte(codes), table: table)
        }
        let codes: [UInt16] = lookup.codes(of: weights, releasing: releasing, threads: threads)
        return EntryConfidences(storage: .twoBytes(codes), table: table)
    }
}

/// An open-addressing table from a weight's bit pattern to its code (or, while counting, a set
/// of bit patterns): at most `EntryConfidences.largestTable` keys at most half full, 768 KB.
private struct WeightCodeTable {
    /// Marks an empty slot: a NaN's pattern, which no weight is (training refuses them first).
    private static let empty = UInt32.max
    private static let slotBits = 17
    private var keys: [UInt32]
    private var codes: [UInt16]
    private(set) var count = 0

    private init() {
        keys = [UInt32](repeating: WeightCodeTable.empty, count: 1 << WeightCodeTable.slotBits)
        codes = [UInt16](repeating: 0, count: 1 << WeightCodeTable.slotBits)
    }

    /// A table giving `keys[i]` the code i.
    init(keys sorted: [UInt32]) {
        self.init()
        for (code, key) in sorted.enumerated() { _ = insert(key, code: UInt16(code)) }
    }

    @inline(__always) private static func slot(_ key: UInt32) -> Int {
        Int((key &* 0x9E37_79B1) >> (32 - UInt32(slotBits)))
    }

    /// Adds `key` unless present; returns whether it was added.
    @inline(__always) private mutating func insert(_ key: UInt32, code: UInt16 = 0) -> Bool {
        let mask = (1 << WeightCodeTable.slotBits) - 1
        var s = WeightCodeTable.slot(key)
        while keys[s] != WeightCodeTable.empty {
            if keys[s] == key { return false }
            s = (s + 1) & mask
        }
        keys[s] = key
        codes[s] = code
        count += 1
        return true
    }

    /// The code of a key the table holds.
    @inline(__always) private func code(of key: UInt32, keys: UnsafePointer<UInt32>, codes: UnsafePointer<UInt16>) -> UInt16 {
        let mask = (1 << WeightCodeTable.slotBits) - 1
        var s = WeightCodeTable.slot(key)
        while keys[s] != key { s = (s + 1) & mask }
        return codes[s]
    }

    /// The distinct bit patterns of `weights`, ordered by the weights' value (then pattern, for
    /// −0 and +0), or nil when there are more than `limit`. Each thread counts a slice into a
    /// set of its own; the sets are merged.
    static func distinctWeights(of weights: UnsafeBufferPointer<Float>, limit: Int, threads: Int) -> [UInt32]? {
        let slices = max(1, min(threads, weights.count / (1 << 16)))
        let sliceSize = (weights.count + slices - 1) / slices
        var found = [[UInt32]?](repeating: [], count: slices)
        found.withUnsafeMutableBufferPointer { found in
            Parallel.forEachChunk(count: weights.count, chunkSize: max(1, sliceSize), threads: threads) { range, slice in
                var set = WeightCodeTable()
                for p in range {
                    // Stops at the first weight past the limit: its slice's set is full.
                    guard set.insert(weights[p].bitPattern) else { continue }
                    if set.count > limit {
                        found[slice] = nil
                        return
                    }
                }
                found[slice] = set.keys.filter { $0 != WeightCodeTable.empty }
            }
        }
        var merged = Set<UInt32>()
        for slice in found {
            guard let slice else { return nil }
            merged.formUnion(slice)
            if merged.count > limit { return nil }
        }
        return merged.sorted { (Float(bitPattern: $0), $0) < (Float(bitPattern: $1), $1) }
    }

    /// Each weight's code, in order. With `releasing`, the weights' whole pages are handed back
    /// to the kernel a block at a time once coded (see `EntryConfidences.coding`).
    func codes<Code: FixedWidthInteger>(of weights: UnsafeBufferPointer<Float>, releasing: Bool, threads: Int) -> [Code] {
        let block = 1 << 22
        return [Code](unsafeUninitializedCapacity: weights.count) { result, initialized in
            keys.withUnsafeBufferPointer { keys in
                codes.withUnsafeBufferPointer { codes in
                    var released = 0
                    for start in stride(from: 0, to: weights.count, by: block) {
                        let end = min(weights.count, start + block)
                        Parallel.forEachChunk(count: end - start, chunkSize: 1 << 16, threads: threads) { range, _ in
                            for p in (start + range.lowerBound)..<(start + range.upperBound) {
                                result[p] = Code(truncatingIfNeeded: code(of: weights[p].bitPattern, keys: keys.baseAddress!, codes: codes.baseAddress!))
                            }
                        }
                        if releasing { released = MemoryRelease.dropRead(UnsafeMutableBufferPointer(mutating: weights), upTo: end, from: released) }
                    }
                }
            }
            initialized = weights.count
        }
    }
}
