/// A plain Cholesky factor-and-solve for small Double systems, used where a LAPACK call per
/// system would cost more than the work (NNLS sub-problems) and as the fallback when a system
/// needs a ridge to become positive definite.
public enum DenseCholesky {
    /// Solves A x = b in place (A n×n row-major, overwritten by its factor; b by x).
    /// Returns false if A is not positive definite.
    public static func solve(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, n: Int) -> Bool {
        // Left-looking, so every inner product runs along contiguous row prefixes; only the
        // lower triangle is read.
        for j in 0..<n {
            let rowJ = a + j * n
            let diagonal = rowJ[j] - VectorKernels.dot(rowJ, rowJ, j)
            guard diagonal > 0, diagonal.isFinite else { return false }
            let pivot = diagonal.squareRoot(), inverse = 1 / pivot
            rowJ[j] = pivot
            // Column j below the diagonal, four rows at a time sharing the loads of row j.
            var i = j + 1
            while i + 4 <= n {
                let dots = prefixDots(a + i * n, stride: n, rowJ, length: j)
                // Multiplying by 1/pivot: a division's latency on every entry was the cost here.
                for lane in 0..<4 { a[(i + lane) * n + j] = (a[(i + lane) * n + j] - dots[lane]) * inverse }
                i += 4
            }
            while i < n {
                let rowI = a + i * n
                rowI[j] = (rowI[j] - VectorKernels.dot(rowI, rowJ, j)) * inverse
                i += 1
            }
        }
        for i in 0..<n {
            b[i] = (b[i] - VectorKernels.dot(a + i * n, b, i)) / a[i * n + i]
        }
        // Lᵀ x = y, taking each solved x_i out of the rows above it along row i of L.
        for i in stride(from: n - 1, through: 0, by: -1) {
            b[i] /= a[i * n + i]
            VectorKernels.axpy(-b[i], a + i * n, b, i)
        }
        return true
    }

    /// The dot products with `v` of the first `length` values of four rows `stride` apart.
    @inline(__always)
    private static func prefixDots(_ rows: UnsafePointer<Double>, stride: Int, _ v: UnsafePointer<Double>, length: Int) -> SIMD4<Double> {
        let raw = UnsafeRawPointer(rows), rawV = UnsafeRawPointer(v), bytes = stride * 8
        var a0 = SIMD8<Double>(), a1 = SIMD8<Double>(), a2 = SIMD8<Double>(), a3 = SIMD8<Double>()
        var p = 0
        while p + 8 <= length {
            let x = rawV.loadUnaligned(fromByteOffset: p * 8, as: SIMD8<Double>.self)
            a0 = a0.addingProduct(raw.loadUnaligned(fromByteOffset: p * 8, as: SIMD8<Double>.self), x)
            a1 = a1.addingProduct(raw.loadUnaligned(fromByteOffset: bytes + p * 8, as: SIMD8<Double>.self), x)
            a2 = a2.addingProduct(raw.loadUnaligned(fromByteOffset: 2 * bytes + p * 8, as: SIMD8<Double>.self), x)
            a3 = a3.addingProduct(raw.loadUnaligned(fromByteOffset: 3 * bytes + p * 8, as: SIMD8<Double>.self), x)
            p += 8
        }
        var sums = SIMD4<Double>(VectorKernels.horizontalSum(a0), VectorKernels.horizontalSum(a1),
                                 VectorKernels.horizontalSum(a2), VectorKernels.horizontalSum(a3))
        while p < length {
            sums += SIMD4<Double>(rows[p], rows[stride + p], rows[2 * stride + p], rows[3 * stride + p]) * v[p]
            p += 1
        }
        return sums
    }
}
