import CEncoreKernels

/// A plain Cholesky factor-and-solve for small Double systems, used where a LAPACK call per
/// system would cost more than the work (NNLS sub-problems) and as the fallback when a system
/// needs a ridge to become positive definite.
enum DenseCholesky {
    /// Solves A x = b in place (A n×n row-major, overwritten by its factor; b by x).
    /// Returns false if A is not positive definite.
    static func solve(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, n: Int) -> Bool {
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
                var dots = (0.0, 0.0, 0.0, 0.0)
                withUnsafeMutableBytes(of: &dots) { encore_prefix_dots4(a + i * n, n, rowJ, j, $0.baseAddress!.assumingMemoryBound(to: Double.self)) }
                // Multiplying by 1/pivot: a division's latency on every entry was the cost here.
                a[i * n + j] = (a[i * n + j] - dots.0) * inverse
                a[(i + 1) * n + j] = (a[(i + 1) * n + j] - dots.1) * inverse
                a[(i + 2) * n + j] = (a[(i + 2) * n + j] - dots.2) * inverse
                a[(i + 3) * n + j] = (a[(i + 3) * n + j] - dots.3) * inverse
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
}
