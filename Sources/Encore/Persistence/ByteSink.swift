import Foundation

/// Somewhere the sections of a binary file go, in order: a file being written, or a counter
/// that only measures them (the model file states its payload's length before the payload).
protocol ByteSink {
    /// Appends raw bytes.
    mutating func append(_ bytes: UnsafeRawBufferPointer) throws
    /// Bytes appended so far: the file offset of the next byte.
    var position: Int { get }
    /// Marks the bytes since the last section's end as section `kind` (a chunked model file's
    /// writer records it; other sinks ignore it).
    mutating func endSection(_ kind: ModelFileSection) throws
}

extension ByteSink {
    mutating func endSection(_ kind: ModelFileSection) throws {}

    /// Appends an integer, little-endian.
    mutating func append<T: FixedWidthInteger>(_ value: T) throws {
        try withUnsafeBytes(of: value.littleEndian) { try append($0) }
    }

    /// Appends a byte count, then the bytes.
    mutating func appendBlob(_ data: Data) throws {
        try append(UInt64(data.count))
        try data.withUnsafeBytes { try append($0) }
    }

    /// Appends zero bytes up to the next multiple of `alignment` (a file offset).
    mutating func pad(toMultipleOf alignment: Int) throws {
        let zeros = [UInt8](repeating: 0, count: (alignment - position % alignment) % alignment)
        try zeros.withUnsafeBytes { try append($0) }
    }

    /// Appends an element count, zeros up to `alignment`, then the elements' bytes.
    mutating func appendArray(_ bytes: UnsafeRawBufferPointer, count: Int, alignment: Int) throws {
        try append(UInt64(count))
        try pad(toMultipleOf: alignment)
        try append(bytes)
    }

    /// `appendArray` of an array.
    mutating func appendArray<T>(_ values: [T], alignment: Int = 1) throws {
        try values.withUnsafeBytes { try appendArray($0, count: values.count, alignment: alignment) }
    }

    /// `appendArray` of a matrix's arrays (a Swift array's or a mapped file's).
    mutating func appendArray<T>(_ values: MappableArray<T>, alignment: Int = 1) throws {
        try values.withUnsafeBytes { try appendArray($0, count: values.count, alignment: alignment) }
    }

    /// Appends a string table: UInt64 offsets (count + 1) into the UTF-8 bytes, then the bytes,
    /// each an aligned array.
    mutating func appendStrings<Strings: Collection<String>>(_ strings: Strings, alignment: Int = 1) throws {
        var offsets: [UInt64] = [0]
        offsets.reserveCapacity(strings.count + 1)
        for string in strings { offsets.append(offsets[offsets.count - 1] + UInt64(string.utf8.count)) }
        try appendArray(offsets, alignment: alignment)
        try append(offsets[offsets.count - 1])
        try pad(toMultipleOf: alignment)
        for var string in strings { try string.withUTF8 { try append(UnsafeRawBufferPointer($0)) } }
    }

    /// Appends a matrix's value count, then its rows: without their padding (`padded` false,
    /// versions 1 and 2), or with it, from a 64-byte boundary, as `DenseMatrix` lays them out in
    /// memory (version 3, so that a mapped file is used as it lies).
    mutating func appendMatrix(_ matrix: DenseMatrix, padded: Bool) throws {
        let width = padded ? matrix.stride : matrix.columns
        try append(UInt64(matrix.rows * width))
        if padded { try pad(toMultipleOf: 64) }
        if matrix.stride == matrix.columns {
            try append(UnsafeRawBufferPointer(start: matrix.storage, count: matrix.rows * matrix.columns * 4))
            return
        }
        // Zeros are written for the padding rather than trusting the matrix's own.
        let zeros = [Float](repeating: 0, count: width - matrix.columns)
        for r in 0..<matrix.rows {
            try append(UnsafeRawBufferPointer(start: matrix.row(r), count: matrix.columns * 4))
            try zeros.withUnsafeBytes { try append($0) }
        }
    }
}

/// A sink that keeps only the number of bytes given to it.
struct ByteCounter: ByteSink {
    /// Bytes appended so far, counted from `position` as given.
    private(set) var position: Int

    init(startingAt position: Int) { self.position = position }

    mutating func append(_ bytes: UnsafeRawBufferPointer) throws { position += bytes.count }
}
