/// The two-way map between a data set's own IDs (any string) and Encore's dense indices 0..<count.
/// Held as one byte arena, its offsets and an open-addressing table of indices (`ByteInterner`,
/// as the readers build it, so that a read hands its table over without making a String per
/// ID), or read in place from a model file (`MappedStringTable`, whose hash table the file
/// stores) so that loading builds neither. Ten million 40-byte IDs cost 86 bytes an ID at an
/// import's peak, where an array of Strings and a dictionary of them cost 225, and about 61
/// once the table is shrunk (docs/scale.md).
package struct IDIndex: Equatable, Sendable {
    private enum Storage {
        case interned(ByteInterner)
        case mapped(MappedStringTable)
    }

    private let storage: Storage
    /// Every ID as a String, made on the first call of `ids` and kept (a caller that walks
    /// `EncoreModel.userIDs` by index must not rebuild the array at each step). Nothing inside
    /// Encore that handles every ID asks for it: writers read `lazyIDs`.
    private let allIDs = ComputedOnce<[String]>()

    /// An index over `ids`, which must be distinct.
    package init(ids: [String]) throws {
        var table = ByteInterner(expectedCount: ids.count)
        for id in ids {
            let before = table.count
            IDIndex.withBytes(of: id) { _ = table.intern($0, $1) }
            if table.count == before { throw EncoreError.invalidArgument("ID '\(id)' appears twice in an ID table") }
        }
        storage = .interned(table.compacted())
    }

    /// An index over IDs laid end to end in `bytes`, ID i ending at `ends[i]` (in order, within
    /// `bytes`: the caller checks), as a play log stores them: interned straight from the bytes,
    /// with no String made per ID (a million 40-byte IDs made as Strings left ≈ 0.1 GB of freed
    /// heap behind them in a training run).
    init(bytes: UnsafeBufferPointer<UInt8>, ends: UnsafeBufferPointer<UInt64>) throws {
        var table = ByteInterner(expectedCount: ends.count, expectedBytes: bytes.count)
        var start = 0
        var empty: UInt8 = 0
        for end in ends {
            let before = table.count, length = Int(end) - start
            if length > 0 { _ = table.intern(bytes.baseAddress! + start, length) } else { _ = withUnsafePointer(to: &empty) { table.intern($0, 0) } }
            if table.count == before {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<Int(end)]), as: UTF8.self)
                throw EncoreError.invalidArgument("ID '\(text)' appears twice in an ID table")
            }
            start = Int(end)
        }
        storage = .interned(table.compacted())
    }

    /// An index over the strings a reader numbered, in the order of their numbers.
    init(interned table: consuming ByteInterner) { storage = .interned(table.compacted()) }

    /// An index over a model file's mapped ID table.
    init(mapped table: MappedStringTable) { storage = .mapped(table) }

    /// The original IDs, by dense index (decoded on first use and kept).
    package var ids: [String] {
        switch storage {
        case .interned(let table): allIDs.value { table.strings() }
        case .mapped(let table): table.strings
        }
    }

    /// The IDs by dense index, each made as it is read: what writes a table of them without an
    /// array of them all beside the index.
    package var lazyIDs: LazyMapCollection<Range<Int>, String> { (0..<count).lazy.map(id(at:)) }

    /// How many IDs there are.
    package var count: Int {
        switch storage {
        case .interned(let table): table.count
        case .mapped(let table): table.count
        }
    }

    /// The dense index of `id`, or nil when it is unknown.
    package func index(of id: String) -> Int? {
        switch storage {
        case .interned(let table): IDIndex.withBytes(of: id) { table.number(of: $0, $1) }
        case .mapped(let table): table.index(of: id)
        }
    }

    /// The original ID at dense index `index`.
    package func id(at index: Int) -> String {
        switch storage {
        case .interned(let table): table.string(at: index)
        case .mapped(let table): table[index]
        }
    }

    /// Two indexes are equal when they hold the same IDs in the same order.
    package static func == (lhs: IDIndex, rhs: IDIndex) -> Bool {
        lhs.count == rhs.count && (0..<lhs.count).allSatisfy { lhs.id(at: $0) == rhs.id(at: $0) }
    }

    /// `body` given the UTF-8 bytes of `string` and their count (never a nil pointer, even for "").
    private static func withBytes<Result>(of string: String, _ body: (UnsafePointer<UInt8>, Int) -> Result) -> Result {
        var string = string
        return string.withUTF8 { bytes in
            guard let base = bytes.baseAddress else {
                var empty: UInt8 = 0
                return body(&empty, 0)
            }
            return body(base, bytes.count)
        }
    }
}
