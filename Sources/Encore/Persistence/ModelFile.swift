import Foundation

/// The Encore model file: one binary file holding a `TrainedModel`, written atomically.
///
/// Layout (little-endian): 8-byte magic `ENCOREMF`, UInt32 format version, UInt32 zero,
/// UInt64 payload length, the payload, then a UInt64 checksum of everything before it. The
/// payload is a JSON header followed by the user ID, item ID and item name tables, the user and
/// item factors (Float32, rows × k, unpadded) and the users × items training matrix (CSR);
/// version 2 adds the item tags after them (tag names, items × tags CSR). A model without tags
/// is written as version 1, which older builds read. docs/model-file.md describes each section.
package enum ModelFile {
    /// The first eight bytes of every model file.
    package static let magic = Array("ENCOREMF".utf8)
    /// The newest format version this build writes and reads: 2 has item tags.
    package static let formatVersion: UInt32 = 2
    /// The versions this build reads.
    package static let readableVersions: ClosedRange<UInt32> = 1...2
    static let prefixLength = 24

    /// The JSON header at the start of the payload.
    struct Header: Codable {
        var configuration: ALSConfiguration
        var summary: TrainingSummary
        var users: Int
        var items: Int
        var factors: Int
        var interactions: Int
        var hasItemNames: Bool
        /// Version 2 only: how many tags the item tags section names.
        var tags: Int?
        /// Version 2 only: how many items, last in the item table, were placed from their tags.
        var placedItems: Int?
    }

    /// Writes `model` to `path` atomically: a crash mid-write leaves any old file intact.
    package static func write(_ model: TrainedModel, to path: String) throws {
        try write(model, to: path, bufferCapacity: 1 << 20)
    }

    /// `write(_:to:)` through a buffer of `bufferCapacity` bytes (tests use tiny ones).
    static func write(_ model: TrainedModel, to path: String, bufferCapacity: Int) throws {
        // Sorted keys: the same model is always the same bytes (the encoder's order varies).
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = try encoder.encode(Header(
            configuration: model.configuration, summary: model.summary, users: model.userCount, items: model.itemCount,
            factors: model.factors.factors, interactions: model.interactions.nonZeroCount, hasItemNames: model.itemNames != nil,
            tags: model.itemTags?.tagNames.count, placedItems: model.itemTags == nil ? nil : model.placedItems
        ))
        // The prefix states the payload's length, so it is measured before it is written.
        var length = ByteCounter()
        try appendPayload(of: model, header: header, to: &length)
        // A throw below drops `file`, which deletes its temporary file: the target is untouched.
        var file = try ChecksummedFileWriter(path: path, bufferCapacity: bufferCapacity)
        try magic.withUnsafeBytes { try file.append($0) }
        try file.append(model.itemTags == nil ? UInt32(1) : formatVersion)
        try file.append(UInt32(0))
        try file.append(UInt64(length.count))
        try appendPayload(of: model, header: header, to: &file)
        try file.commit()
    }

    /// The payload's sections, in the order docs/model-file.md lists them.
    private static func appendPayload<Sink: ByteSink>(of model: TrainedModel, header: Data, to sink: inout Sink) throws {
        try sink.appendBlob(header)
        try sink.appendStrings(model.userIDs.ids)
        try sink.appendStrings(model.itemIDs.ids)
        if let names = model.itemNames { try sink.appendStrings(names) }
        try sink.appendMatrix(model.factors.userFactors)
        try sink.appendMatrix(model.factors.itemFactors)
        try sink.appendArray(model.interactions.offsets.map { Int64($0) })
        try sink.appendArray(model.interactions.indices)
        try sink.appendArray(model.interactions.values)
        if let tags = model.itemTags {
            try sink.appendStrings(tags.tagNames)
            try sink.appendArray(tags.matrix.offsets.map { Int64($0) })
            try sink.appendArray(tags.matrix.indices)
            try sink.appendArray(tags.matrix.values)
        }
    }

    /// Reads and checks a model file; a truncated, corrupted, foreign or newer file is an
    /// `invalidModelFile` error saying which.
    package static func read(from path: String) throws -> TrainedModel {
        try readWithChecksum(from: path).model
    }

    /// `read`, with the checksum stored at the end of the file: the server shows it so that
    /// whoever looks can tell which file is being served (it is checked against the bytes read).
    package static func readWithChecksum(from path: String) throws -> (model: TrainedModel, checksum: UInt64) {
        let data = try FileContents.load(path)
        return try data.withUnsafeBytes { bytes -> (model: TrainedModel, checksum: UInt64) in
            func invalid(_ reason: String) -> EncoreError { .invalidModelFile(path: path, reason: reason) }
            guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
                throw invalid("it does not start with the Encore model signature (is it another kind of file?)")
            }
            guard bytes.count >= prefixLength + 8 else { throw invalid("it is truncated (\(bytes.count) bytes)") }
            let version = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            guard readableVersions.contains(version) else {
                throw invalid("it has format version \(version); this Encore reads versions \(readableVersions.lowerBound)–\(readableVersions.upperBound)")
            }
            let payloadLength = bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
            guard payloadLength <= UInt64(bytes.count), prefixLength + Int(payloadLength) + 8 == bytes.count else {
                let expected = payloadLength <= UInt64(Int.max - 64) ? "\(prefixLength + Int(payloadLength) + 8)" : "an impossible size"
                throw invalid("it is truncated or has trailing bytes (\(bytes.count) bytes, header says \(expected))")
            }
            let checked = prefixLength + Int(payloadLength)
            let stored = bytes.loadUnaligned(fromByteOffset: checked, as: UInt64.self)
            guard Checksum.of(UnsafeRawBufferPointer(rebasing: bytes[0..<checked])) == stored else {
                throw invalid("its checksum does not match (the file is corrupted)")
            }
            var reader = BinaryReader(bytes: UnsafeRawBufferPointer(rebasing: bytes[prefixLength..<checked]))
            do {
                let header = try JSONDecoder().decode(Header.self, from: try reader.blob())
                let userIDs = try IDIndex(ids: try reader.strings())
                let itemIDs = try IDIndex(ids: try reader.strings())
                let names = header.hasItemNames ? try reader.strings() : nil
                let users = try reader.matrix(rows: header.users, columns: header.factors)
                let items = try reader.matrix(rows: header.items, columns: header.factors)
                let offsets: [Int64] = try reader.array()
                let indices: [UInt32] = try reader.array()
                let values: [Float] = try reader.array()
                let interactions = try SparseMatrix(
                    rowCount: header.users, columnCount: header.items, offsets: offsets.map { Int($0) }, indices: indices, values: values
                )
                let tags = version >= 2 ? try readTags(&reader, items: header.items, tags: header.tags ?? 0) : nil
                guard reader.atEnd else { throw invalid("it has unread bytes after the last section") }
                return (try TrainedModel(
                    configuration: header.configuration, userIDs: userIDs, itemIDs: itemIDs, itemNames: names,
                    factors: FactorModel(userFactors: users, itemFactors: items, lossHistory: header.summary.lossHistory),
                    interactions: interactions, summary: header.summary, itemTags: tags, placedItems: header.placedItems ?? 0
                ), stored)
            } catch let error as EncoreError {
                if case .invalidModelFile = error { throw error }
                throw invalid("its contents are inconsistent (\(error.description))")
            } catch {
                throw invalid("its header cannot be decoded (\(error.localizedDescription))")
            }
        }
    }
}

extension ModelFile {
    /// The item tags section of a version 2 file.
    fileprivate static func readTags(_ reader: inout BinaryReader, items: Int, tags: Int) throws -> ItemTags {
        let names = try reader.strings()
        guard names.count == tags else { throw EncoreError.invalidArgument("the tag table has \(names.count) names, the header says \(tags)") }
        let offsets: [Int64] = try reader.array()
        let indices: [UInt32] = try reader.array()
        let values: [Float] = try reader.array()
        let matrix = try SparseMatrix(rowCount: items, columnCount: tags, offsets: offsets.map { Int($0) }, indices: indices, values: values)
        return try ItemTags(tagNames: names, matrix: matrix)
    }
}

/// Reads little-endian values from a byte run, refusing to read past its end.
struct BinaryReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

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

    mutating func blob() throws -> Data { Data(try take(try count())) }

    mutating func array<T>() throws -> [T] {
        let n = try count()
        let raw = try take(n * MemoryLayout<T>.stride)
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            initialized = n
        }
    }

    mutating func strings() throws -> [String] {
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

    mutating func matrix(rows: Int, columns: Int) throws -> DenseMatrix {
        let n = try count()
        // Shapes come from the header: negative or overflowing ones are refused, not trapped on.
        let (expected, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard rows >= 0, columns >= 0, !overflow, n == expected else { throw EncoreError.invalidArgument("a factor matrix has \(n) values, expected \(rows)×\(columns)") }
        let raw = try take(n * 4)
        let matrix = DenseMatrix(rows: rows, columns: columns)
        for r in 0..<rows {
            UnsafeMutableRawPointer(matrix.row(r)).copyMemory(from: raw.baseAddress! + r * columns * 4, byteCount: columns * 4)
        }
        return matrix
    }
}
