/// One small k×k matrix M applied to every row of a tall matrix: y = x M for each row x — how
/// factors are turned into a Gram matrix's eigenbasis (and back) twice per half-step.
///
/// Written by hand because OpenBLAS does this shape badly: for 359,000 rows × 64 times 64 × 64
/// on one core of the AVX-512 benchmark machine, SGEMM in blocks of 1,024 rows took 32–36 ms
/// (81–91 GFLOP/s; 24 ms with OpenBLAS's own AVX-512 kernels, which this machine's environment
/// turns off), this kernel 14 ms (204 GFLOP/s). Four rows at a time share each loaded row of M,
/// and their sixteen accumulators (64 columns each) stay in registers for the whole sum. Built
/// for AVX2 (`ENCORE_TARGET_CPU=haswell`), where sixteen 64-byte accumulators do not fit in
/// the registers, training runs as fast as it did with SGEMM (0.68 against 0.66–0.67 s per CG
/// iteration at k = 64), no faster.
public final class RowTransform: @unchecked Sendable {
    /// M in Float, k rows of `stride` values, zero past column k, so a padded output row
    /// stays zero past k.
    private let matrix: UnsafeMutablePointer<Float>
    private let k: Int
    private let stride: Int

    /// M (k×k, row-major, Double), or Mᵀ with `transposed`, for rows of `stride` Floats (a
    /// multiple of 16, at least k).
    public init(_ m: [Double], k: Int, stride: Int, transposed: Bool = false) {
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
    public func apply(to input: DenseMatrix, rows: Range<Int>, into output: DenseMatrix) {
        precondition(input.stride == stride && output.stride == stride && input !== output, "separate matrices of this stride")
        let x = UnsafeRawPointer(input.row(rows.lowerBound)), y = UnsafeMutableRawPointer(output.row(rows.lowerBound))
        let m = UnsafeRawPointer(matrix), rowBytes = stride * 4, count = rows.count
        var column = 0
        while column < stride {
            let width = min(64, stride - column), columnByte = column * 4
            var r = 0
            while r + 4 <= count {
                var a = Accumulator(), b = Accumulator(), c = Accumulator(), d = Accumulator()
                let row = x + r * rowBytes
                for p in 0..<k {
                    let mp = m + p * rowBytes + columnByte
                    a.add(row.load(fromByteOffset: p * 4, as: Float.self), mp, width: width)
                    b.add(row.load(fromByteOffset: rowBytes + p * 4, as: Float.self), mp, width: width)
                    c.add(row.load(fromByteOffset: 2 * rowBytes + p * 4, as: Float.self), mp, width: width)
                    d.add(row.load(fromByteOffset: 3 * rowBytes + p * 4, as: Float.self), mp, width: width)
                }
                let out = y + r * rowBytes + columnByte
                a.store(to: out, width: width)
                b.store(to: out + rowBytes, width: width)
                c.store(to: out + 2 * rowBytes, width: width)
                d.store(to: out + 3 * rowBytes, width: width)
                r += 4
            }
            while r < count {
                var a = Accumulator()
                let row = x + r * rowBytes
                for p in 0..<k { a.add(row.load(fromByteOffset: p * 4, as: Float.self), m + p * rowBytes + columnByte, width: width) }
                a.store(to: y + r * rowBytes + columnByte, width: width)
                r += 1
            }
            column += width
        }
    }

    /// Up to 64 columns of one output row, in four registers.
    private struct Accumulator {
        var v0 = SIMD16<Float>(), v1 = SIMD16<Float>(), v2 = SIMD16<Float>(), v3 = SIMD16<Float>()

        /// += weight × the `width` values at `m` (16, 32, 48 or 64).
        @inline(__always) mutating func add(_ weight: Float, _ m: UnsafeRawPointer, width: Int) {
            let w = SIMD16<Float>(repeating: weight)
            v0 = v0.addingProduct(w, m.loadUnaligned(as: SIMD16<Float>.self))
            guard width > 16 else { return }
            v1 = v1.addingProduct(w, m.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self))
            guard width > 32 else { return }
            v2 = v2.addingProduct(w, m.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self))
            guard width > 48 else { return }
            v3 = v3.addingProduct(w, m.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self))
        }

        @inline(__always) func store(to out: UnsafeMutableRawPointer, width: Int) {
            out.storeBytes(of: v0, as: SIMD16<Float>.self)
            guard width > 16 else { return }
            out.storeBytes(of: v1, toByteOffset: 64, as: SIMD16<Float>.self)
            guard width > 32 else { return }
            out.storeBytes(of: v2, toByteOffset: 128, as: SIMD16<Float>.self)
            guard width > 48 else { return }
            out.storeBytes(of: v3, toByteOffset: 192, as: SIMD16<Float>.self)
        }
    }
}
