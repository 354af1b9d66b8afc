import Foundation

/// Somewhere the sections of a binary file go, in order: a file being written, or a counter
/// that only measures them (the model file states its payload's length before the payload).
protocol ByteSink {
    /// Appends raw bytes.
    mutating func append(_ bytes: UnsafeRawBufferPointer) throws
}

extension ByteSink {
    /// Appends an integer, little-endian.
    mutating func append<T: FixedWidthInteger>(_ value: T) throws {
        try withUnsafeBytes(of: value.littleEndian) { try append($0) }
    }

    /// Appends a byte count, then the bytes.
    mutating func appendBlob(_ data: Data) throws {
        try append(UInt64(data.count))
        try data.withUnsafeBytes { try append($0) }
    }

    /// Appends an element count, then the elements' bytes.
    mutating func appendArray<T>(_ values: [T]) throws {
        try append(UInt64(values.count))
        try values.withUnsafeBytes { try append($0) }
    }

    /// Appends a string table: UInt64 offsets (count + 1) into the UTF-8 bytes, then the bytes.
    mutating func appendStrings(_ strings: [String]) throws {
        var offsets: [UInt64] = [0]
        offsets.reserveCapacity(strings.count + 1)
        for string in strings { offsets.append(offsets[offsets.count - 1] + UInt64(string.utf8.count)) }
        try appendArray(offsets)
        try append(offsets[offsets.count - 1])
        for var string in strings { try string.withUTF8 { try append(UnsafeRawBufferPointer($0)) } }
    }

    /// Appends a matrix's value count, then its rows without their padding.
    mutating func appendMatrix(_ matrix: DenseMatrix) throws {
        try append(UInt64(matrix.rows * matrix.columns))
        if matrix.stride == matrix.columns {
            try append(UnsafeRawBufferPointer(start: matrix.storage, count: matrix.rows * matrix.columns * 4))
        } else {
            for r in 0..<matrix.rows { try append(UnsafeRawBufferPointer(start: matrix.row(r), count: matrix.columns * 4)) }
        }
    }
}

/// A sink that keeps only the number of bytes given to it.
struct ByteCounter: ByteSink {
    /// Bytes appended so far.
    private(set) var count = 0

    mutating func append(_ bytes: UnsafeRawBufferPointer) throws { count += bytes.count }
}
