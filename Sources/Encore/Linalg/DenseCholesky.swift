/// A plain Cholesky factor-and-solve for small Double systems, used where a LAPACK call per
/// system would cost more than the work (NNLS sub-problems) and as the fallback when a system
/// needs a ridge to become positive definite.
public enum DenseCholesky {
    /// Solves A x = b in place (A n×n row-major, overwritten by its factor; b by x).
    /// Returns false if A is not positive definite.
    public static func solve(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, n: Int) -> Bool {
        for j in 0..<n {
            var diagonal = a[j * n + j]
            for p in 0..<j { diagonal -= a[j * n + p] * a[j * n + p] }
            guard diagonal > 0, diagonal.isFinite else { return false }
            let pivot = diagonal.squareRoot()
            a[j * n + j] = pivot
            for i in (j + 1)..<max(j + 1, n) {
                var s = a[i * n + j]
                for p in 0..<j { s -= a[i * n + p] * a[j * n + p] }
                a[i * n + j] = s / pivot
            }
        }
        for i in 0..<n {
            var s = b[i]
            for p in 0..<i { s -= a[i * n + p] * b[p] }
            b[i] = s / a[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = b[i]
            for p in (i + 1)..<max(i + 1, n) { s -= a[p * n + i] * b[p] }
            b[i] = s / a[i * n + i]
        }
        return true
    }
}
