import Foundation

/// The Encore model file: one binary file holding a `TrainedModel`, written atomically.
///
/// Layout (little-endian): 8-byte magic `ENCOREMF`, UInt32 format version, UInt32 zero,
/// UInt64 payload length, the payload, then a UInt64 checksum of everything before it. The
/// payload is a JSON header followed by the user ID, item ID and item name tables, the user and
/// item factors (Float32, rows × k) and the users × items training matrix (CSR), then the item
/// tags when the model has them. Version 3, which this build writes, starts every array on a
/// 64-byte boundary, stores factor rows padded as `DenseMatrix` keeps them and a hash table
/// after each ID table, so that a loaded model sits on the mapped file instead of copies of it.
/// Version 4, which this build writes, is version 3's payload followed by a chunk table instead
/// of one checksum: every section is cut into chunks of 1 MiB, each with its own checksum, so
/// that a one-shot command checks only the chunks it reads (`Checking`).
/// Versions 1 (no tags) and 2 (tags) are unaligned and are read by copying.
/// docs/model-file.md describes each section.
package enum ModelFile {
    /// The first eight bytes of every model file.
    package static let magic = Array("ENCOREMF".utf8)
    /// The format version this build writes: 4, aligned for mapping, checksummed by chunk.
    package static let formatVersion: UInt32 = 4
    /// The versions this build reads.
    package static let readableVersions: ClosedRange<UInt32> = 1...4
    static let prefixLength = 24
    /// Where a version 3 or 4 file starts each array: a cache line, and a multiple of any element's size.
    static let alignment = 64
    /// The bytes of a section one checksum of a version 4 file covers: a listener's rows are
    /// checked by summing a few MiB, not the 336 MB of the reference model.
    static let chunkSize = 1 << 20

    /// Which bytes of a version 4 file a load checks before it returns. Whatever the choice, no
    /// byte is used before the chunk holding it has been checked: what a load leaves is checked
    /// when a user is looked up (`TrainedModel.userIndex`), for that user's rows only. Files of
    /// versions 1 to 3 have one checksum, and are always checked whole.
    package enum Checking: Sendable {
        /// Every chunk, on a second thread while the sections are parsed: for commands that
        /// read every user (serve, recommend-all, the library's `EncoreModel`).
        case everything
        /// All but the user factors and the training matrix's entries, whose rows for a user are
        /// checked when the user is looked up: for a one-shot command about one listener.
        case deferringUserRows
        /// All but the user factors, whose row for a user is checked when the user is looked up:
        /// for a one-shot command that also counts each item's listeners (similar, radio).
        case deferringUserFactors
    }

    /// The JSON header at the start of the payload.
    struct Header: Codable {
        var configuration: ALSConfiguration
        var summary: TrainingSummary
        var users: Int
        var items: Int
        var factors: Int
        var interactions: Int
        var hasItemNames: Bool
        /// Models with tags only: how many tags the item tags section names.
        var tags: Int?
        /// Models with tags only: how many items, last in the item table, were placed from their tags.
        var placedItems: Int?
    }

    /// Writes `model` to `path` atomically: a crash mid-write leaves any old file intact.
    package static func write(_ model: TrainedModel, to path: String) throws {
        try write(model, to: path, version: formatVersion, bufferCapacity: 1 << 20)
    }

    /// `write(_:to:)` in format `version` (1 or 2, as older builds wrote them, 3, or 4) through a
    /// buffer of `bufferCapacity` bytes, version 4 in chunks of `chunkSize` bytes (tests use
    /// tiny ones, and the old versions).
    static func write(_ model: TrainedModel, to path: String, version: UInt32, bufferCapacity: Int = 1 << 20, chunkSize: Int = chunkSize) throws {
        precondition(readableVersions.contains(version), "no format version \(version)")
        guard version != 1 || model.itemTags == nil else { throw EncoreError.invalidArgument("format version 1 cannot hold item tags") }
        // Sorted keys: the same model is always the same bytes (the encoder's order varies).
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = try encoder.encode(Header(
            configuration: model.configuration, summary: model.summary, users: model.userCount, items: model.itemCount,
            factors: model.factors.factors, interactions: model.interactions.nonZeroCount, hasItemNames: model.itemNames != nil,
            tags: model.itemTags?.tagNames.count, placedItems: model.itemTags == nil ? nil : model.placedItems
        ))
        // The version 3 ID hash tables, built once for both passes below.
        let slots = version >= 3 ? (MappedStringTable.slots(for: model.userIDs.lazyIDs), MappedStringTable.slots(for: model.itemIDs.lazyIDs)) : nil
        // The prefix states the payload's length, so it is measured before it is written.
        var length = ByteCounter(startingAt: prefixLength)
        try appendPayload(of: model, header: header, slots: slots, to: &length)
        // A throw below drops `file`, which deletes its temporary file: the target is untouched.
        var file = try ChecksummedFileWriter(path: path, bufferCapacity: bufferCapacity, chunkSize: version >= 4 ? chunkSize : nil)
        try magic.withUnsafeBytes { try file.append($0) }
        try file.append(version >= 3 ? version : model.itemTags == nil ? UInt32(1) : UInt32(2))
        try file.append(UInt32(0))
        try file.append(UInt64(length.position - prefixLength))
        try appendPayload(of: model, header: header, slots: slots, to: &file)
        try file.commit()
    }

    /// The payload's sections, in the order docs/model-file.md lists them; `slots`, the ID
    /// hash tables, is given for version 3 (aligned, padded rows) and nil for versions 1 and 2.
    private static func appendPayload<Sink: ByteSink>(of model: TrainedModel, header: Data, slots: ([UInt32], [UInt32])?, to sink: inout Sink) throws {
        let aligned = slots != nil, alignment = aligned ? Self.alignment : 1
        try sink.appendBlob(header)
        try sink.endSection(.header)
        try sink.appendStrings(model.userIDs.lazyIDs, alignment: alignment)
        if let slots { try sink.appendArray(slots.0, alignment: alignment) }
        try sink.endSection(.userIDs)
        try sink.appendStrings(model.itemIDs.lazyIDs, alignment: alignment)
        if let slots { try sink.appendArray(slots.1, alignment: alignment) }
        try sink.endSection(.itemIDs)
        if let names = model.itemNames {
            try sink.appendStrings(names, alignment: alignment)
            try sink.endSection(.itemNames)
        }
        try sink.appendMatrix(model.factors.userFactors, padded: aligned)
        try sink.endSection(.userFactors)
        try sink.appendMatrix(model.factors.itemFactors, padded: aligned)
        try sink.endSection(.itemFactors)
        try appendMatrix(model.interactions, alignment: alignment, to: &sink)
        try sink.endSection(.trainingMatrix)
        if let tags = model.itemTags {
            try sink.appendStrings(tags.tagNames, alignment: alignment)
            try appendMatrix(tags.matrix, alignment: alignment, to: &sink)
            try sink.endSection(.itemTags)
        }
    }

    /// A CSR matrix: Int64 row offsets, UInt32 column indices, Float32 values.
    private static func appendMatrix<Sink: ByteSink>(_ matrix: SparseMatrix, alignment: Int, to sink: inout Sink) throws {
        try sink.appendArray(matrix.offsets.map { Int64($0) }, alignment: alignment)
        try sink.appendArray(matrix.indices, alignment: alignment)
        try sink.appendArray(matrix.values, alignment: alignment)
    }

    /// Reads and checks a model file; a truncated, corrupted, foreign or newer file is an
    /// `invalidModelFile` error saying which (for version 4, which section).
    package static func read(from path: String, checking: Checking = .everything) throws -> TrainedModel {
        try readWithChecksum(from: path, checking: checking).model
    }

    /// `read`, with the file's checksum: for versions 1 to 3 the one stored at its end (checked
    /// against every byte), for version 4 that of its chunk table, which holds every chunk's. The
    /// server shows it so that whoever looks can tell which file is being served, and an
    /// approximate index is bound to it.
    ///
    /// The file is mapped. A version 3 or 4 model's factors, training matrix, tag matrix and ID
    /// tables stay on the mapping (which they keep alive); versions 1 and 2 are copied out of it.
    package static func readWithChecksum(from path: String, checking: Checking = .everything) throws -> (model: TrainedModel, checksum: UInt64) {
        let mapping = try FileMapping(path: path)
        let bytes = mapping.bytes
        func invalid(_ reason: String) -> EncoreError { .invalidModelFile(path: path, reason: reason) }
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw invalid("it does not start with the Encore model signature (is it another kind of file?)")
        }
        guard bytes.count >= prefixLength + 16 || (bytes.count >= prefixLength + 8 && bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self) < 4) else {
            throw invalid("it is truncated (\(bytes.count) bytes)")
        }
        let version = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        guard readableVersions.contains(version) else {
            throw invalid("it has format version \(version); this Encore reads versions \(readableVersions.lowerBound)–\(readableVersions.upperBound)")
        }
        let payloadLength = bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        // Version 4 ends in its chunk table, the table's length and the table's checksum.
        let tableLength = version >= 4 ? bytes.loadUnaligned(fromByteOffset: bytes.count - 16, as: UInt64.self) : 0
        let trailer = version >= 4 ? tableLength &+ 16 : 8
        guard payloadLength <= UInt64(bytes.count), tableLength <= UInt64(bytes.count), UInt64(prefixLength) + payloadLength + trailer == UInt64(bytes.count) else {
            let expected = payloadLength <= UInt64(Int.max - 64) && tableLength <= UInt64(Int.max - 64)
                ? "\(UInt64(prefixLength) + payloadLength + trailer)" : "an impossible size"
            throw invalid("it is truncated or has trailing bytes\(version >= 4 ? ", or its chunk table's length is damaged" : "") (\(bytes.count) bytes, header says \(expected))")
        }
        let checked = prefixLength + Int(payloadLength)
        if version >= 4 { return try readChunked(mapping, upTo: checked, path: path, checking: checking) }
        let stored = bytes.loadUnaligned(fromByteOffset: checked, as: UInt64.self)
        // The checksum is summed on a second thread while the sections are read (every read is
        // bounds-checked, so damaged bytes are safe to parse); a damaged file is reported as such
        // whatever the parse made of it, and no model is returned before every byte is checked.
        let outcome = LoadOutcome()
        DispatchQueue.concurrentPerform(iterations: 2) { task in
            if task == 0 {
                outcome.checksum = Result {
                    guard Checksum.of(UnsafeRawBufferPointer(rebasing: bytes[0..<checked])) == stored else {
                        throw invalid("its checksum does not match (the file is corrupted)")
                    }
                }
            } else {
                outcome.model = Result { try readSections(of: mapping, upTo: checked, version: version, path: path) }
            }
        }
        try outcome.checksum!.get()
        return (try outcome.model!.get(), stored)
    }

    /// A version 4 file whose size has been checked: its chunk table is checked and read, then
    /// the chunks `checking` asks for are checked on one thread while the sections are parsed on
    /// another; the rest are left to `TrainedModel.userIndex` (`UserRowChecks`).
    private static func readChunked(_ mapping: FileMapping, upTo checked: Int, path: String, checking: Checking) throws -> (model: TrainedModel, checksum: UInt64) {
        let bytes = mapping.bytes, rootOffset = bytes.count - 8
        let root = bytes.loadUnaligned(fromByteOffset: rootOffset, as: UInt64.self)
        guard Checksum.of(UnsafeRawBufferPointer(rebasing: bytes[checked..<rootOffset])) == root else {
            throw EncoreError.invalidModelFile(path: path, reason: "its chunk table is corrupted (its checksum does not match)")
        }
        let chunks = try ChunkVerifier(of: mapping, payloadEnd: checked, path: path)
        let left: Set<ModelFileSection> = switch checking {
        case .everything: []
        case .deferringUserRows: [.userFactors, .trainingMatrix]
        case .deferringUserFactors: [.userFactors]
        }
        let rowChecks = left.isEmpty ? nil : UserRowChecks(chunks: chunks, path: path, trainingMatrixDeferred: left.contains(.trainingMatrix))
        let outcome = LoadOutcome()
        DispatchQueue.concurrentPerform(iterations: 2) { task in
            if task == 0 {
                outcome.checksum = Result { for kind in ModelFileSection.allCases where !left.contains(kind) { try chunks.check(kind) } }
            } else {
                outcome.model = Result { try readSections(of: mapping, upTo: checked, version: 4, path: path, rowChecks: rowChecks) }
            }
        }
        // Corruption is reported as such, whatever the parse made of the damaged bytes.
        try outcome.checksum!.get()
        do {
            let model = try outcome.model!.get()
            // A deferred training matrix's offsets were parsed and checked, not yet summed.
            if left.contains(.trainingMatrix) { try model.interactions.offsets.withUnsafeBytes { try chunks.check($0) } }
            return (model, root)
        } catch {
            // The parse may have failed on bytes of a section left unchecked: name the damage if so.
            if !left.isEmpty { try chunks.checkAll() }
            throw error
        }
    }

    /// What a full check of a model file found (`verify`): its format version, the checksum that
    /// names it, and for version 4 its sections and chunks.
    package struct Verification {
        package var version: UInt32
        package var checksum: UInt64
        package var sections: [ModelFileSection]
        package var chunks: Int
        package var model: TrainedModel
    }

    /// Checks every byte of the model file at `path` (every chunk of a version 4 file, the
    /// checksum of an older one) and every section's structure, as `read` with `.everything` does.
    package static func verify(_ path: String) throws -> Verification {
        let (model, checksum) = try readWithChecksum(from: path, checking: .everything)
        let mapping = try FileMapping(path: path)
        let bytes = mapping.bytes
        let version = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        guard version >= 4 else { return Verification(version: version, checksum: checksum, sections: [], chunks: 0, model: model) }
        let chunks = try ChunkVerifier(of: mapping, payloadEnd: prefixLength + Int(bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)), path: path)
        return Verification(version: version, checksum: checksum, sections: chunks.sectionKinds, chunks: chunks.chunkCount, model: model)
    }

    /// What the two halves of a load found: one thread writes each field, read after both end.
    private final class LoadOutcome: @unchecked Sendable {
        var checksum: Result<Void, Error>?
        var model: Result<TrainedModel, Error>?
    }

    /// The payload of a file whose prefix has been checked, as a model or an `invalidModelFile` error.
    private static func readSections(of mapping: FileMapping, upTo checked: Int, version: UInt32, path: String, rowChecks: UserRowChecks? = nil) throws -> TrainedModel {
        func invalid(_ reason: String) -> EncoreError { .invalidModelFile(path: path, reason: reason) }
        var reader = BinaryReader(bytes: UnsafeRawBufferPointer(rebasing: mapping.bytes[0..<checked]), offset: prefixLength,
                                  mapping: version >= 3 ? mapping : nil)
        do {
            let model = try readPayload(&reader, version: version, rowChecks: rowChecks)
            guard reader.atEnd else { throw invalid("it has unread bytes after the last section") }
            return model
        } catch let error as EncoreError {
            if case .invalidModelFile = error { throw error }
            throw invalid("its contents are inconsistent (\(error.description))")
        } catch {
            throw invalid("its header cannot be decoded (\(error.localizedDescription))")
        }
    }

    /// The sections after the prefix, in order.
    private static func readPayload(_ reader: inout BinaryReader, version: UInt32, rowChecks: UserRowChecks?) throws -> TrainedModel {
        let header = try JSONDecoder().decode(Header.self, from: try reader.blob())
        let userIDs = try reader.idIndex()
        let itemIDs = try reader.idIndex()
        let names = header.hasItemNames ? try reader.strings() : nil
        let users = try reader.matrix(rows: header.users, columns: header.factors)
        let items = try reader.matrix(rows: header.items, columns: header.factors)
        // A training matrix left for `rowChecks` has its columns checked a row at a time.
        let interactions = try reader.sparseMatrix(rows: header.users, columns: header.items, checkingColumns: rowChecks?.trainingMatrixDeferred != true)
        // Version 2 always has tags; versions 3 and 4 have them when their header counts them.
        let hasTags = version == 2 || (version >= 3 && header.tags != nil)
        let tags = hasTags ? try readTags(&reader, items: header.items, tags: header.tags ?? 0) : nil
        return try TrainedModel(
            configuration: header.configuration, userIDs: userIDs, itemIDs: itemIDs, itemNames: names,
            factors: FactorModel(userFactors: users, itemFactors: items, lossHistory: header.summary.lossHistory),
            interactions: interactions, summary: header.summary, itemTags: tags, placedItems: header.placedItems ?? 0,
            userRowChecks: rowChecks
        )
    }
}

extension ModelFile {
    /// The item tags section.
    fileprivate static func readTags(_ reader: inout BinaryReader, items: Int, tags: Int) throws -> ItemTags {
        let names = try reader.strings()
        guard names.count == tags else { throw EncoreError.invalidArgument("the tag table has \(names.count) names, the header says \(tags)") }
        return try ItemTags(tagNames: names, matrix: try reader.sparseMatrix(rows: items, columns: tags))
    }
}

/// Reads little-endian values from a model file's bytes, refusing to read past their end. With a
/// mapping (version 3) every array starts on a 64-byte boundary and is used where it lies;
/// without (versions 1 and 2, unaligned) arrays are copied out.
struct BinaryReader {
    /// The file up to its checksum; offsets are file offsets, so alignment is the file's.
    let bytes: UnsafeRawBufferPointer
    var offset: Int
    /// The file's mapping, for a version 3 file.
    let mapping: FileMapping?

    var atEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - offset else {
            throw EncoreError.invalidArgument("a section runs past the end of the payload")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func count() throws -> Int {
        let value = try take(8).loadUnaligned(as: UInt64.self)
        guard value <= UInt64(bytes.count) else { throw EncoreError.invalidArgument("a section length is larger than the file") }
        return Int(value)
    }

    /// An array's count, then (version 3) the padding to its aligned start, then its bytes.
    private mutating func run(elementSize: Int) throws -> (count: Int, bytes: UnsafeRawBufferPointer) {
        let n = try count()
        if mapping != nil { _ = try take((ModelFile.alignment - offset % ModelFile.alignment) % ModelFile.alignment) }
        let (length, overflow) = n.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw EncoreError.invalidArgument("a section length is larger than the file") }
        return (n, try take(length))
    }

    mutating func blob() throws -> Data { Data(try take(try count())) }

    /// An array, copied out of the file.
    mutating func array<T>() throws -> [T] {
        let (n, raw) = try run(elementSize: MemoryLayout<T>.stride)
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            initialized = n
        }
    }

    /// An array: where it lies in a mapped file, else copied.
    mutating func mappableArray<T: BitwiseCopyable>() throws -> MappableArray<T> {
        guard let mapping else { return MappableArray(try array()) }
        let (n, raw) = try run(elementSize: MemoryLayout<T>.stride)
        return MappableArray(mappedAt: raw.baseAddress!.assumingMemoryBound(to: T.self), count: n, in: mapping)
    }

    /// A string table as strings.
    mutating func strings() throws -> [String] {
        if mapping != nil { return try mappedStrings(hashed: false).strings }
        let offsets: [UInt64] = try array()
        let blob: [UInt8] = try array()
        guard let last = offsets.last, offsets.first == 0, last == UInt64(blob.count) else {
            throw EncoreError.invalidArgument("a string table is malformed")
        }
        var result: [String] = []
        result.reserveCapacity(offsets.count - 1)
        for index in 0..<(offsets.count - 1) {
            // Each end is checked against the blob before it is used: the last offset equalling the
            // blob's length says nothing about the ones before it (fuzzing found [0, 100, 5]).
            guard offsets[index] <= offsets[index + 1], offsets[index + 1] <= UInt64(blob.count) else {
                throw EncoreError.invalidArgument("a string table is malformed")
            }
            result.append(String(decoding: blob[Int(offsets[index])..<Int(offsets[index + 1])], as: UTF8.self))
        }
        return result
    }

    /// A version 3 string table where it lies, with the hash table after it when `hashed`.
    private mutating func mappedStrings(hashed: Bool) throws -> MappedStringTable {
        let offsets = try run(elementSize: 8)
        let blob = try run(elementSize: 1)
        let slots = hashed ? try run(elementSize: 4) : (0, UnsafeRawBufferPointer(start: nil, count: 0))
        guard !hashed || slots.0 > 0 else { throw EncoreError.invalidArgument("an ID hash table has no slots") }
        return try MappedStringTable(offsets: offsets.bytes.assumingMemoryBound(to: UInt64.self), blob: blob.bytes,
                                     slots: slots.1.assumingMemoryBound(to: UInt32.self), in: mapping!)
    }

    /// An ID table: built into a dictionary (versions 1 and 2), or looked up where it lies.
    mutating func idIndex() throws -> IDIndex {
        mapping == nil ? try IDIndex(ids: try strings()) : IDIndex(mapped: try mappedStrings(hashed: true))
    }

    /// A factor matrix of the header's shape: rows unpadded (copied) or padded (mapped).
    mutating func matrix(rows: Int, columns: Int) throws -> DenseMatrix {
        // Shapes come from the header: negative or overflowing ones are refused, not trapped on
        // (the stride rounds `columns` up, so it is bounded first).
        guard (0...(1 << 30)).contains(columns) else { throw EncoreError.invalidArgument("a factor matrix has \(columns) columns") }
        let width = mapping == nil ? columns : DenseMatrix.stride(forColumns: columns)
        let (expected, overflow) = rows.multipliedReportingOverflow(by: width)
        let (n, raw) = try run(elementSize: 4)
        guard rows >= 0, columns >= 0, !overflow, n == expected else { throw EncoreError.invalidArgument("a factor matrix has \(n) values, expected \(rows)×\(width)") }
        if let mapping, rows > 0 {
            return DenseMatrix(rows: rows, columns: columns, mappedAt: raw.baseAddress!.assumingMemoryBound(to: Float.self), in: mapping)
        }
        let matrix = DenseMatrix(rows: rows, columns: columns)
        for r in 0..<rows {
            UnsafeMutableRawPointer(matrix.row(r)).copyMemory(from: raw.baseAddress! + r * width * 4, byteCount: columns * 4)
        }
        return matrix
    }

    /// A CSR matrix (checked): Int64 offsets, UInt32 indices, Float32 values.
    mutating func sparseMatrix(rows: Int, columns: Int, checkingColumns: Bool = true) throws -> SparseMatrix {
        let offsets: MappableArray<Int> = MemoryLayout<Int>.size == 8 && mapping != nil
            ? try mappableArray() : MappableArray((try array() as [Int64]).map { Int($0) })
        let indices: MappableArray<UInt32> = try mappableArray()
        let values: MappableArray<Float> = try mappableArray()
        return try SparseMatrix(rowCount: rows, columnCount: columns, offsets: offsets, indices: indices, values: values, checkingColumns: checkingColumns)
    }
}
