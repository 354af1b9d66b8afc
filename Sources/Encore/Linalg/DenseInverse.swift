import CBLAS

/// The inverse of a dense symmetric positive-definite matrix by Cholesky (LAPACK potrf, then
/// potri), in Float or Double: EASE's one big computation.
package enum DenseInverse {
    /// A LAPACK routine of the shape `xPOTRF(uplo, n, a, lda, info)` (potrf and potri share it).
    private typealias Routine<T> = (UnsafePointer<CChar>?, UnsafePointer<Int32>?, UnsafeMutablePointer<T>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Int32>?) -> Void

    /// Replaces symmetric positive-definite A (n×n, row-major, upper triangle read) by the upper
    /// triangle of A⁻¹; the strict lower triangle is left as it was. Returns false when A is not
    /// numerically positive definite. Runs OpenBLAS on `threads` threads (see `withThreads`).
    package static func invertPositiveDefinite(_ a: UnsafeMutablePointer<Double>, n: Int, threads: Int) -> Bool {
        invert(a, n: n, threads: threads, factor: dpotrf_, invertFactored: dpotri_)
    }

    /// The same in Float: half the memory and about half the time, at Float's precision.
    package static func invertPositiveDefinite(_ a: UnsafeMutablePointer<Float>, n: Int, threads: Int) -> Bool {
        invert(a, n: n, threads: threads, factor: spotrf_, invertFactored: spotri_)
    }

    private static func invert<T>(_ a: UnsafeMutablePointer<T>, n: Int, threads: Int, factor: Routine<T>, invertFactored: Routine<T>) -> Bool {
        guard n > 0 else { return true }
        precondition(n <= maximumOrder, "LAPACK indexes an n×n matrix with 32-bit integers: n ≤ \(maximumOrder)")
        var order = Int32(n), lda = Int32(n), info: Int32 = 0
        // LAPACK is column-major: the row-major upper triangle is its lower one.
        var uplo = CChar(UInt8(ascii: "L"))
        return withThreads(threads) {
            factor(&uplo, &order, a, &lda, &info)
            guard info == 0 else { return false }
            invertFactored(&uplo, &order, a, &lda, &info)
            return info == 0
        }
    }

    /// The largest n whose n² elements LAPACK's 32-bit index arithmetic can address.
    package static let maximumOrder = 46_340

    /// Runs `body` with OpenBLAS on `threads` threads, then back on one. Everywhere else BLAS
    /// runs single-threaded inside Encore's own parallel loops; one potrf/potri on a large
    /// matrix is the one call with no loop of Encore's around it to spread over the cores, so
    /// only OpenBLAS's own threads can.
    private static func withThreads<R>(_ threads: Int, _ body: () -> R) -> R {
        BLAS.ensureSingleThreaded()
        openblas_set_num_threads(Int32(max(1, threads)))
        defer { openblas_set_num_threads(1) }
        return body()
    }
}
