import Foundation

/// c₁ = c − 1 = α·g(r) of every entry of one side's ratings, as training holds them. When the
/// side's weights take few distinct values (play counts are integers, most of them small), each
/// entry is a one- or two-byte code into a table of the Floats the confidence function gives for
/// those weights; otherwise it is a Float. A code is exact — the table holds the very Float the
/// function returns for that weight — so a coded side trains the same model, bit for bit, in a
/// quarter or half of the memory. One-byte codes also serve a side with more than 256 distinct
/// weights when few entries fall outside the 255 commonest (a long tail of large play counts:
/// 0.13% of the entries of a 100 M-play synthetic log): those entries take the escape code 255
/// and are listed apart with their confidences (12 bytes each). Every solver reads a row's
/// confidences through `UnsafeEntryConfidences.row(_:scratch:)`, which decodes a coded row into
/// a Float scratch of the thread's (one table lookup an entry, next to a 256-byte vector
/// gathered per entry).
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
    /// The entries listed apart (one-byte codes only): their positions, in order, and their
    /// confidences. Their code is the escape, 255, whose table entry is 0.
    private let exceptionPositions: [Int]
    private let exceptionConfidences: [Float]

    /// Confidences held as one Float an entry.
    package init(floats: [Float]) {
        self.init(storage: .floats(floats), table: [])
    }

    private init(storage: Storage, table: [Float], exceptionPositions: [Int] = [], exceptionConfidences: [Float] = []) {
        self.storage = storage
        self.table = table
        self.exceptionPositions = exceptionPositions
        self.exceptionConfidences = exceptionConfidences
    }

    /// Number of entries.
    package var count: Int {
        switch storage {
        case .floats(let values): values.count
        case .oneByte(let codes): codes.count
        case .twoBytes(let codes): codes.count
        }
    }

    /// Bytes held per entry for its code or Float: 1, 2 or 4 (the entries listed apart add 12
    /// bytes each: `exceptionCount`).
    package var bytesPerEntry: Int {
        switch storage {
        case .floats: 4
        case .oneByte: 1
        case .twoBytes: 2
        }
    }

    /// How many entries are listed apart from their one-byte codes.
    package var exceptionCount: Int { exceptionPositions.count }

    /// The confidence of entry `position` (for checks and tests; the solvers read whole rows).
    package subscript(position: Int) -> Float {
        switch storage {
        case .floats(let values): return values[position]
        case .twoBytes(let codes): return table[Int(codes[position])]
        case .oneByte(let codes):
            let listed = EntryConfidences.firstListed(atOrAfter: position, in: exceptionPositions)
            if listed < exceptionPositions.count && exceptionPositions[listed] == position { return exceptionConfidences[listed] }
            return table[Int(codes[position])]
        }
    }

    /// How many of `range`'s entries have c₁ > 0 (when the confidences stand for the weights,
    /// the row's count of r > 0).
    func positives(in range: Range<Int>) -> Int {
        switch storage {
        case .floats(let values): return range.reduce(0) { $0 + (values[$1] > 0 ? 1 : 0) }
        case .twoBytes(let codes): return range.reduce(0) { $0 + (table[Int(codes[$1])] > 0 ? 1 : 0) }
        case .oneByte(let codes):
            // The escape's table entry is 0, so the listed entries count by their own confidence.
            var count = range.reduce(0) { $0 + (table[Int(codes[$1])] > 0 ? 1 : 0) }
            var listed = EntryConfidences.firstListed(atOrAfter: range.lowerBound, in: exceptionPositions)
            while listed < exceptionPositions.count && exceptionPositions[listed] < range.upperBound {
                count += exceptionConfidences[listed] > 0 ? 1 : 0
                listed += 1
            }
            return count
        }
    }

    /// The index of the first listed position at or after `position` (binary search).
    @inline(__always) static func firstListed<Positions: RandomAccessCollection<Int>>(atOrAfter position: Int, in positions: Positions) -> Int
    where Positions.Index == Int {
        var low = positions.startIndex, high = positions.endIndex
        while low < high {
            let middle = (low + high) / 2
            if positions[middle] < position { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Calls `body` with the entries held still behind raw pointers.
    func withUnsafeEntries<Result>(_ body: (UnsafeEntryConfidences) throws -> Result) rethrows -> Result {
        try table.withUnsafeBufferPointer { table in
            try exceptionPositions.withUnsafeBufferPointer { positions in
                try exceptionConfidences.withUnsafeBufferPointer { listed in
                    func entries(_ codes: UnsafeEntryConfidences.Codes, floats: UnsafePointer<Float>? = nil) -> UnsafeEntryConfidences {
                        UnsafeEntryConfidences(floats: floats, codes: codes, table: table.baseAddress, exceptionPositions: positions,
                                               exceptionConfidences: listed.baseAddress)
                    }
                    switch storage {
                    case .floats(let values): return try values.withUnsafeBufferPointer { try body(entries(.none, floats: $0.baseAddress)) }
                    case .oneByte(let codes): return try codes.withUnsafeBufferPointer { try body(entries(.oneByte($0.baseAddress))) }
                    case .twoBytes(let codes): return try codes.withUnsafeBufferPointer { try body(entries(.twoBytes($0.baseAddress))) }
                    }
                }
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
    let exceptionPositions: UnsafeBufferPointer<Int>
    let exceptionConfidences: UnsafePointer<Float>?

    /// The confidences of entries `range`, one Float each: in place when they are Floats,
    /// otherwise decoded into `scratch` (valid until its next use).
    @inline(__always) func row(_ range: Range<Int>, scratch: ConfidenceScratch) -> UnsafeBufferPointer<Float> {
        switch codes {
        case .none:
            return UnsafeBufferPointer(start: floats.map { $0 + range.lowerBound }, count: range.count)
        case .oneByte(let codes):
            let decoded = scratch.decode(codes.map { $0 + range.lowerBound }, count: range.count, table: table!)
            guard !exceptionPositions.isEmpty else { return UnsafeBufferPointer(decoded) }
            var listed = scratch.firstListed(atOrAfter: range.lowerBound, in: exceptionPositions)
            while listed < exceptionPositions.count && exceptionPositions[listed] < range.upperBound {
                decoded[exceptionPositions[listed] - range.lowerBound] = exceptionConfidences![listed]
                listed += 1
            }
            scratch.remember(listed, from: range.upperBound, in: exceptionPositions)
            return UnsafeBufferPointer(decoded)
        case .twoBytes(let codes):
            return UnsafeBufferPointer(scratch.decode(codes.map { $0 + range.lowerBound }, count: range.count, table: table!))
        }
    }
}

/// One thread's Float copy of a coded row's confidences, grown to the longest row it has held.
final class ConfidenceScratch {
    private var values: UnsafeMutablePointer<Float>
    private var capacity = 0

    /// Where the last row's listed entries ended: every listed position before `cursorFrom` is
    /// before index `cursor` of the list at `cursorList`. The rows of a chunk are read in order,
    /// so the next row's first listed entry is found by stepping on from here rather than by a
    /// binary search per row (a search per row cost 4% of an iteration on the reference workload).
    private var cursor = 0, cursorFrom = 0
    private var cursorList: UnsafePointer<Int>?

    init() { values = .allocateCacheAligned(capacity: 1) }

    /// The index of the first of `positions` (sorted) at or after `position`.
    @inline(__always) func firstListed(atOrAfter position: Int, in positions: UnsafeBufferPointer<Int>) -> Int {
        guard cursorList == positions.baseAddress && cursorFrom <= position else {
            return EntryConfidences.firstListed(atOrAfter: position, in: positions)
        }
        var listed = cursor
        while listed < positions.count && positions[listed] < position { listed += 1 }
        return listed
    }

    /// Records that the listed entries before `position` are those before index `listed`.
    @inline(__always) func remember(_ listed: Int, from position: Int, in positions: UnsafeBufferPointer<Int>) {
        (cursor, cursorFrom, cursorList) = (listed, position, positions.baseAddress)
    }

    deinit { values.deallocate() }

    /// `table[codes[p]]` for the `count` codes, into this scratch.
    @inline(__always) func decode<Code: FixedWidthInteger>(
        _ codes: UnsafePointer<Code>?, count: Int, table: UnsafePointer<Float>
    ) -> UnsafeMutableBufferPointer<Float> {
        if capacity < count {
            values.deallocate()
            capacity = max(count, 2 * capacity)
            values = .allocateCacheAligned(capacity: capacity)
        }
        if let codes {
            for p in 0..<count { values[p] = table[Int(codes[p])] }
        }
        return UnsafeMutableBufferPointer(start: values, count: count)
    }
}

extension EntryConfidences {
    /// The escape among one-byte codes when a side has more than 256 distinct weights.
    private static let escape = 255

    /// The confidences of `weights` as codes into a table, when the weights have at most
    /// `largestTable` distinct values and every positive weight's confidence is positive (so
    /// that the confidences can stand for the weights: the solvers read a weight only as "is it
    /// positive"); nil otherwise. `confidence` is the function c₁(r), called once per distinct
    /// weight. Codes go to the commonest weights first (ties by value), so they do not depend on
    /// `threads`. One byte an entry when there are at most 256 distinct weights, or when listing
    /// the entries outside the 255 commonest apart (12 bytes each) costs less than a second byte
    /// for every entry; two bytes otherwise.
    ///
    /// With `releasing`, the caller owns `weights` and will not read them again: their pages
    /// are handed back to the kernel as they are coded, so the side's memory falls from 4
    /// bytes an entry towards 1 or 2 without both being held at once.
    static func coding(
        _ weights: UnsafeBufferPointer<Float>, releasing: Bool, threads: Int, confidence: (Float) -> Float
    ) -> EntryConfidences? {
        guard let distinct = WeightCodeTable.distinctWeights(of: weights, limit: largestTable, threads: threads) else { return nil }
        let confidences = distinct.map { confidence(Float(bitPattern: $0.bits)) }
        for (weight, c) in zip(distinct, confidences) where Float(bitPattern: weight.bits) > 0 && !(c > 0) { return nil }
        let lookup = WeightCodeTable(keys: distinct.map(\.bits))
        let outsideCommonest = distinct.dropFirst(escape).reduce(0) { $0 + $1.count }
        if distinct.count <= 1 << 8 || outsideCommonest * 12 < weights.count {
            let escaping = distinct.count > 1 << 8
            // Code i is the i-th commonest weight; every weight past the 255th takes the escape.
            let codes = distinct.indices.map { UInt8(min($0, escaping ? escape : $0)) }
            let coded: (codes: [UInt8], positions: [Int], listed: [Float]) = lookup.codes(
                of: weights, releasing: releasing, threads: threads, codes: codes, escape: escaping ? escape : nil, confidences: confidences)
            let table = escaping ? Array(confidences[0..<escape]) + [0] : confidences
            return EntryConfidences(storage: .oneByte(coded.codes), table: table, exceptionPositions: coded.positions,
                                    exceptionConfidences: coded.listed)
        }
        let coded: (codes: [UInt16], positions: [Int], listed: [Float]) = lookup.codes(
            of: weights, releasing: releasing, threads: threads, codes: distinct.indices.map { UInt16($0) }, escape: nil, confidences: confidences)
        return EntryConfidences(storage: .twoBytes(coded.codes), table: confidences)
    }
}

/// An open-addressing table from a weight's bit pattern to a number (its place among the
/// distinct weights, or while counting how many entries have it): at most
/// `EntryConfidences.largestTable` keys, at most half full.
private struct WeightCodeTable {
    /// Marks an empty slot: a NaN's pattern, which no weight is (training refuses them first).
    private static let empty = UInt32.max
    private static let slotBits = 17
    private var keys: [UInt32]
    private var numbers: [Int]
    private(set) var count = 0

    private init() {
        keys = [UInt32](repeating: WeightCodeTable.empty, count: 1 << WeightCodeTable.slotBits)
        numbers = [Int](repeating: 0, count: 1 << WeightCodeTable.slotBits)
    }

    /// A table giving `keys[i]` the number i.
    init(keys: [UInt32]) {
        self.init()
        for (number, key) in keys.enumerated() { numbers[slot(of: key)] = number }
    }

    @inline(__always) private static func hash(_ key: UInt32) -> Int {
        Int((key &* 0x9E37_79B1) >> (32 - UInt32(slotBits)))
    }

    /// The slot of `key`, made for it if it is new.
    @inline(__always) private mutating func slot(of key: UInt32) -> Int {
        let mask = (1 << WeightCodeTable.slotBits) - 1
        var s = WeightCodeTable.hash(key)
        while keys[s] != WeightCodeTable.empty {
            if keys[s] == key { return s }
            s = (s + 1) & mask
        }
        keys[s] = key
        count += 1
        return s
    }

    /// The number of a key the table holds.
    @inline(__always) private static func number(of key: UInt32, keys: UnsafePointer<UInt32>, numbers: UnsafePointer<Int>) -> Int {
        let mask = (1 << WeightCodeTable.slotBits) - 1
        var s = hash(key)
        while keys[s] != key { s = (s + 1) & mask }
        return numbers[s]
    }

    /// The distinct bit patterns of `weights` with how many entries have each, commonest first
    /// (ties by value, then pattern, for −0 and +0), or nil when there are more than `limit`.
    /// Each thread counts a slice into a table of its own; the tables are merged.
    static func distinctWeights(of weights: UnsafeBufferPointer<Float>, limit: Int, threads: Int) -> [(bits: UInt32, count: Int)]? {
        let slices = max(1, min(threads, weights.count / (1 << 16)))
        let sliceSize = max(1, (weights.count + slices - 1) / slices)
        var found = [[(bits: UInt32, count: Int)]?](repeating: [], count: Parallel.chunkCount(count: weights.count, chunkSize: sliceSize))
        found.withUnsafeMutableBufferPointer { found in
            Parallel.forEachChunk(count: weights.count, chunkSize: sliceSize, threads: threads) { range, slice in
                var table = WeightCodeTable()
                for p in range {
                    let s = table.slot(of: weights[p].bitPattern)
                    table.numbers[s] += 1
                    // A slice past the limit has too many on its own: no need to read further.
                    if table.count > limit {
                        found[slice] = nil
                        return
                    }
                }
                found[slice] = zip(table.keys, table.numbers).filter { $0.0 != WeightCodeTable.empty }.map { (bits: $0.0, count: $0.1) }
            }
        }
        var merged: [UInt32: Int] = [:]
        for slice in found {
            guard let slice else { return nil }
            for (bits, count) in slice { merged[bits, default: 0] += count }
            if merged.count > limit { return nil }
        }
        return merged.map { (bits: $0.key, count: $0.value) }.sorted {
            ($1.count, Float(bitPattern: $0.bits), $0.bits) < ($0.count, Float(bitPattern: $1.bits), $1.bits)
        }
    }

    /// Each weight's code (`codes[n]` for the n-th distinct weight), in order, and the entries
    /// whose code is `escape` listed apart with their confidences (`confidences[n]`). With
    /// `releasing`, the weights' whole pages are handed back to the kernel a block at a time once
    /// coded (see `EntryConfidences.coding`).
    func codes<Code: FixedWidthInteger>(
        of weights: UnsafeBufferPointer<Float>, releasing: Bool, threads: Int, codes: [Code], escape: Int?, confidences: [Float]
    ) -> (codes: [Code], positions: [Int], listed: [Float]) {
        let block = 1 << 22, chunk = 1 << 16, escape = escape ?? -1
        var positions: [Int] = [], listed: [Float] = []
        let result = [Code](unsafeUninitializedCapacity: weights.count) { result, initialized in
            keys.withUnsafeBufferPointer { keys in
            numbers.withUnsafeBufferPointer { numbers in
            codes.withUnsafeBufferPointer { codes in
            confidences.withUnsafeBufferPointer { confidences in
                    var released = 0
                    for start in stride(from: 0, to: weights.count, by: block) {
                        let end = min(weights.count, start + block)
                        var apart = [[(Int, Float)]](repeating: [], count: Parallel.chunkCount(count: end - start, chunkSize: chunk))
                        apart.withUnsafeMutableBufferPointer { apart in
                            Parallel.forEachChunk(count: end - start, chunkSize: chunk, threads: threads) { range, index in
                                for p in (start + range.lowerBound)..<(start + range.upperBound) {
                                    let n = WeightCodeTable.number(of: weights[p].bitPattern, keys: keys.baseAddress!, numbers: numbers.baseAddress!)
                                    result[p] = codes[n]
                                    if Int(codes[n]) == escape { apart[index].append((p, confidences[n])) }
                                }
                            }
                        }
                        for (position, confidence) in apart.joined() {
                            positions.append(position)
                            listed.append(confidence)
                        }
                        if releasing { released = MemoryRelease.dropRead(UnsafeMutableBufferPointer(mutating: weights), upTo: end, from: released) }
                    }
            } } } }
            initialized = weights.count
        }
        return (result, positions, listed)
    }
}
