import CEncoreKernels

/// One small k×k matrix M applied to every row of a tall matrix: y = x M for each row x — how
/// factors are turned into a Gram matrix's eigenbasis (and back), in place, twice per half-step.
///
/// Written by hand because OpenBLAS does this shape badly: for 359,000 rows × 64 times 64 × 64
/// on one core of the AVX-512 benchmark machine, SGEMM in blocks of 1,024 rows took 32–36 ms
/// (81–91 GFLOP/s; 24 ms with OpenBLAS's own AVX-512 kernels, which this machine's environment
/// turns off), this kernel 14 ms (204 GFLOP/s). Four rows at a time share each loaded row of M,
/// and their sixteen accumulators (64 columns each) stay in registers for the whole sum (the
/// kernel is `transformRows` in CEncoreKernels). With the AVX2 kernels, where sixteen 64-byte
/// accumulators do not fit in the registers, training runs as fast as it did with SGEMM (0.68
/// against 0.66–0.67 s per CG iteration at k = 64), no faster.
final class RowTransform: @unchecked Sendable {
    /// M in Float, k rows of `stride` values, zero past column k, so a padded output row
    /// stays zero past k.
    private let matrix: UnsafeMutablePointer<Float>
    private let k: Int
    private let stride: Int

    /// M (k×k, row-major, Double), or Mᵀ with `transposed`, for rows of `stride` Floats (a
    /// multiple of 16, at least k).
    init(_ m: [Double], k: Int, stride: Int, transposed: Bool = false) {
        precondition(m.count == k * k && stride % 16 == 0 && stride >= k, "a k×k matrix, rows padded to a multiple of 16")
        self.k = k
        self.stride = stride
        matrix = .allocateCacheAligned(capacity: k * stride)
        matrix.initialize(repeating: 0, count: k * stride)
        for p in 0..<k {
            for j in 0..<k { matrix[p * stride + j] = Float(transposed ? m[j * k + p] : m[p * k + j]) }
        }
    }

    deinit { matrix.deallocate() }

    /// Writes x M into `output`'s row r for every row r in `rows` of `input`: separate
    /// matrices of `stride` columns.
    func apply(to input: DenseMatrix, rows: Range<Int>, into output: DenseMatrix) {
        precondition(input.stride == stride && output.stride == stride && input !== output, "separate matrices of this stride")
        encore_transform_rows(matrix, k, stride, input.row(rows.lowerBound), output.row(rows.lowerBound), rows.count)
    }

    /// Rows copied aside at a time by `applyInPlace`: 16 KiB at k = 64, so the copy stays in L1
    /// and costs little next to the k² product of each row.
    private static let inPlaceBlock = 64

    /// Replaces every row r in `rows` of `matrix` (of `stride` columns) with x M: each block of
    /// rows is copied to a small buffer first, because the kernel reads and writes separate rows.
    func applyInPlace(to matrix: DenseMatrix, rows: Range<Int>) {
        precondition(matrix.stride == stride, "a matrix of this stride")
        let block = RowTransform.inPlaceBlock
        let buffer = UnsafeMutablePointer<Float>.allocateCacheAligned(capacity: block * stride)
        defer { buffer.deallocate() }
        for start in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: block) {
            let count = min(block, rows.upperBound - start)
            buffer.update(from: matrix.row(start), count: count * stride)
            encore_transform_rows(self.matrix, k, stride, buffer, matrix.row(start), count)
        }
    }
}
