import CEncoreKernels

/// A plain Cholesky factor-and-solve for small Double systems, used where a LAPACK call per
/// system would cost more than the work (NNLS sub-problems) and as the fallback when a system
/// needs a ridge to become positive definite; the kernel is CEncoreKernels' `choleskySolve`.
enum DenseCholesky {
    /// Solves A x = b in place (A n×n row-major, only its lower triangle read, overwritten by
    /// its factor; b by x). Returns false if A is not positive definite.
    static func solve(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, n: Int) -> Bool {
        encore_cholesky_solve(a, b, n) != 0
    }
}
