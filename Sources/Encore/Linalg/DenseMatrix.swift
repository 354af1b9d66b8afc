import Foundation

/// A row-major Float32 matrix whose rows start on 64-byte boundaries, so that each row is one
/// contiguous, SIMD-friendly run. Padding past `columns` is kept at zero. The elements are the
/// matrix's own memory, or a run of a mapped model file laid out the same way (read-only).
package final class DenseMatrix: @unchecked Sendable {
    /// Number of rows.
    package let rows: Int
    /// Number of meaningful columns in each row.
    package let columns: Int
    /// Distance in elements between the starts of two consecutive rows (a multiple of 16).
    package let stride: Int
    /// The first element of row 0; row `r` starts at `storage + r * stride`.
    package let storage: UnsafeMutablePointer<Float>
    /// The mapped file the elements sit on, kept alive with the matrix; nil when they are its own.
    private let mapping: FileMapping?

    /// The row stride of a matrix of `columns` columns: a whole number of 64-byte lines.
    package static func stride(forColumns columns: Int) -> Int { max(16, (columns + 15) / 16 * 16) }

    /// A zero-filled matrix of the given shape.
    package init(rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0, "matrix shape must not be negative")
        self.rows = rows
        self.columns = columns
        self.stride = DenseMatrix.stride(forColumns: columns)
        let count = max(1, rows * stride)
        storage = .allocateCacheAligned(capacity: count)
        storage.initialize(repeating: 0, count: count)
        mapping = nil
    }

    /// A matrix whose `rows × stride(forColumns: columns)` elements, padding zero, are at `start`
    /// inside `mapping` (64-byte aligned; the caller has checked the bounds). Nothing may write
    /// to it: the mapping is read-only, and a write would fault.
    package init(rows: Int, columns: Int, mappedAt start: UnsafePointer<Float>, in mapping: FileMapping) {
        precondition(Int(bitPattern: start) % 64 == 0, "a mapped matrix must start on a 64-byte boundary")
        self.rows = rows
        self.columns = columns
        self.stride = DenseMatrix.stride(forColumns: columns)
        storage = UnsafeMutablePointer(mutating: start)
        self.mapping = mapping
    }

    /// A matrix holding `values`, given row by row without padding.
    package convenience init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "expected \(rows * columns) values, got \(values.count)")
        self.init(rows: rows, columns: columns)
        values.withUnsafeBufferPointer { source in
            for r in 0..<rows { (storage + r * stride).update(from: source.baseAddress! + r * columns, count: columns) }
        }
    }

    deinit { if mapping == nil { storage.deallocate() } }

    /// Whether the elements sit on a mapped file rather than in memory of their own.
    package var isMapped: Bool { mapping != nil }

    /// The first element of row `r`.
    @inline(__always) package func row(_ r: Int) -> UnsafeMutablePointer<Float> { storage + r * stride }

    /// The values row by row, without padding (what `init(rows:columns:values:)` takes).
    package func packed() -> [Float] {
        var values = [Float](repeating: 0, count: rows * columns)
        values.withUnsafeMutableBufferPointer { target in
            for r in 0..<rows { (target.baseAddress! + r * columns).update(from: row(r), count: columns) }
        }
        return values
    }

    /// Element at row `r`, column `c`.
    package subscript(r: Int, c: Int) -> Float {
        get { storage[r * stride + c] }
        set { storage[r * stride + c] = newValue }
    }

    /// Row `r` as a Swift array, without padding.
    package func rowArray(_ r: Int) -> [Float] { Array(UnsafeBufferPointer(start: row(r), count: columns)) }

    /// An independent copy.
    package func copy() -> DenseMatrix { DenseMatrix(copying: self) }

    /// A copy of `source`, padding and all, written once (not zero-filled first: a server load
    /// copies the item factors twice, 75 MB each on the reference model).
    private convenience init(copying source: DenseMatrix) {
        self.init(uninitializedRows: source.rows, columns: source.columns)
        storage.update(from: source.storage, count: rows * stride)
    }

    /// The rows of `source` at `rows`, in that order, padding and all: row i is `source.row(rows[i])`.
    /// Written once, not zero-filled first (a server load reorders the item factors by length).
    package convenience init(gathering rows: [Int], of source: DenseMatrix) {
        self.init(uninitializedRows: rows.count, columns: source.columns)
        for (i, r) in rows.enumerated() {
            precondition(r >= 0 && r < source.rows, "row \(r) of a matrix of \(source.rows)")
            row(i).update(from: source.row(r), count: stride)
        }
    }

    /// A matrix whose elements the caller writes, every one (padding included), before use:
    /// for a matrix written whole at once, which zero-filling first would write twice.
    package init(uninitializedRows rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        stride = DenseMatrix.stride(forColumns: columns)
        let count = max(1, rows * stride)
        storage = .allocateCacheAligned(capacity: count)
        if rows == 0 { storage.initialize(to: 0) }
        mapping = nil
    }

    /// True when every element is finite.
    package func allFinite() -> Bool {
        (0..<rows).allSatisfy { VectorKernels.allFinite(row($0), columns) }
    }

    /// A copy whose rows are scaled to unit Euclidean length (zero rows stay zero); used for cosine.
    /// Each row is copied and scaled in one pass, rows shared among the threads: a server load
    /// normalizes the item factors (75 MB on the reference model) before it answers.
    package func rowNormalized(threads: Int = Parallel.defaultThreadCount) -> DenseMatrix {
        let result = DenseMatrix(uninitializedRows: rows, columns: columns)
        Parallel.forEachChunk(count: rows, chunkSize: 4096, threads: threads) { range, _ in
            for r in range {
                let target = result.row(r)
                target.update(from: row(r), count: stride)
                let norm = VectorKernels.dot(target, target, columns).squareRoot()
                if norm > 0 { VectorKernels.scale(target, 1 / norm, columns) }
            }
        }
        return result
    }
}
