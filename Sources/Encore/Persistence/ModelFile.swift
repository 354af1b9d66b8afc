import Foundation

/// The Encore model file: one binary file holding a `TrainedModel`, written atomically.
///
/// Layout (little-endian): 8-byte magic `ENCOREMF`, UInt32 format version, UInt32 zero,
/// UInt64 payload length, the payload, then a UInt64 checksum of everything before it. The
/// payload is a JSON header followed by the user ID, item ID and item name tables, the user and
/// item factors (Float32, rows × k, unpadded) and the users × items training matrix (CSR).
/// docs/model-file.md describes each section.
public enum ModelFile {
    /// The first eight bytes of every model file.
    public static let magic = Array("ENCOREMF".utf8)
    /// The format version this build writes and reads.
    public static let formatVersion: UInt32 = 1
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
    }

    /// Writes `model` to `path` atomically: a crash mid-write leaves any old file intact.
    public static func write(_ model: TrainedModel, to path: String) throws {
        var payload = BinaryWriter()
        let header = Header(
            configuration: model.configuration, summary: model.summary, users: model.userCount, items: model.itemCount,
            factors: model.factors.factors, interactions: model.interactions.nonZeroCount, hasItemNames: model.itemNames != nil
        )
        payload.appendBlob(try JSONEncoder().encode(header))
        payload.appendStrings(model.userIDs.ids)
        payload.appendStrings(model.itemIDs.ids)
        if let names = model.itemNames { payload.appendStrings(names) }
        payload.appendMatrix(model.factors.userFactors)
        payload.appendMatrix(model.factors.itemFactors)
        payload.appendArray(model.interactions.offsets.map { Int64($0) })
        payload.appendArray(model.interactions.indices)
        payload.appendArray(model.interactions.values)

        var file = BinaryWriter()
        file.bytes.append(contentsOf: magic)
        file.append(formatVersion)
        file.append(UInt32(0))
        file.append(UInt64(payload.bytes.count))
        file.bytes.append(contentsOf: payload.bytes)
        let checksum = file.bytes.withUnsafeBytes { Checksum.of($0) }
        file.append(checksum)

        var writer = try AtomicFileWriter(path: path)
        do {
            try file.bytes.withUnsafeBytes { try writer.write($0) }
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Reads and checks a model file; a truncated, corrupted, foreign or newer file is an
    /// `invalidModelFile` error saying which.
    public static func read(from path: String) throws -> TrainedModel {
        let data = try FileContents.load(path)
        return try data.withUnsafeBytes { bytes -> TrainedModel in
            func invalid(_ reason: String) -> EncoreError { .invalidModelFile(path: path, reason: reason) }
            guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
                throw invalid("it does not start with the Encore model signature (is it another kind of file?)")
            }
            guard bytes.count >= prefixLength + 8 else { throw invalid("it is truncated (\(bytes.count) bytes)") }
            let version = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            guard version == formatVersion else {
                throw invalid("it has format version \(version); this Encore reads version \(formatVersion)")
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
                guard reader.atEnd else { throw invalid("it has unread bytes after the last section") }
                return try TrainedModel(
                    configuration: header.configuration, userIDs: userIDs, itemIDs: itemIDs, itemNames: names,
                    factors: FactorModel(userFactors: users, itemFactors: items, lossHistory: header.summary.lossHistory),
                    interactions: interactions, summary: header.summary
                )
            } catch let error as EncoreError {
                if case .invalidModelFile = error { throw error }
                throw invalid("its contents are inconsistent (\(error.description))")
            } catch {
                throw invalid("its header cannot be decoded (\(error.localizedDescription))")
            }
        }
    }
}

/// Appends little-endian values to a byte array.
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func appendBlob(_ data: Data) {
        append(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func appendArray<T>(_ values: [T]) {
        append(UInt64(values.count))
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    mutating func appendStrings(_ strings: [String]) {
        var offsets: [UInt64] = [0]
        var blob: [UInt8] = []
        for string in strings {
            blob.append(contentsOf: string.utf8)
            offsets.append(UInt64(blob.count))
        }
        appendArray(offsets)
        appendArray(blob)
    }

    mutating func appendMatrix(_ matrix: DenseMatrix) {
        append(UInt64(matrix.rows * matrix.columns))
        for r in 0..<matrix.rows {
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: matrix.row(r), count: matrix.columns * 4))
        }
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
            guard offsets[index] <= offsets[index + 1] else { throw EncoreError.invalidArgument("a string table is malformed") }
            result.append(String(decoding: blob[Int(offsets[index])..<Int(offsets[index + 1])], as: UTF8.self))
        }
        return result
    }

    mutating func matrix(rows: Int, columns: Int) throws -> DenseMatrix {
        let n = try count()
        guard n == rows * columns else { throw EncoreError.invalidArgument("a factor matrix has \(n) values, expected \(rows)×\(columns)") }
        let raw = try take(n * 4)
        let matrix = DenseMatrix(rows: rows, columns: columns)
        for r in 0..<rows {
            UnsafeMutableRawPointer(matrix.row(r)).copyMemory(from: raw.baseAddress! + r * columns * 4, byteCount: columns * 4)
        }
        return matrix
    }
}
