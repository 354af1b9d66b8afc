import CBLAS
import CEncoreKernels

/// The thin shim over OpenBLAS: the few BLAS/LAPACK calls Encore makes, in its own orientation
/// (row-major), with OpenBLAS's thread pool switched off because Encore runs its own threads.
package enum BLAS {
    /// OpenBLAS starts a worker per core when it loads, and a worker with no work spins on
    /// sched_yield for about 2²⁸ cycles (~0.1 s) before it sleeps: as long as a one-shot command
    /// runs. Every BLAS call here is single-threaded, so the pool is ended at once; a
    /// multi-threaded call (`DenseInverse`) starts it again. `encore recommend` on a 336 MB model
    /// took 0.68× the CPU time with the pool ended, the same wall time (alternating paired runs,
    /// AMD EPYC, 2 cores, quiet).
    private static let singleThreaded: Void = {
        _ = BLASKernelChoice.applied
        openblas_set_num_threads(1)
        encore_openblas_stop_idle_threads()
    }()

    /// Makes OpenBLAS run on the calling thread only; called before any BLAS work.
    package static func ensureSingleThreaded() { _ = singleThreaded }

    /// C (k×k, Double, full symmetric) = AᵀA for the first `rows` rows of row-major A (rows × k,
    /// leading dimension `lda`). Accumulated by SSYRK in Float, then widened.
    package static func gram(_ a: UnsafePointer<Float>, rows: Int, k: Int, lda: Int, into c: UnsafeMutablePointer<Double>) {
        ensureSingleThreaded()
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: k * k)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: k * k)
        if rows > 0 {
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(k), Int32(rows), 1, a, Int32(lda), 0, scratch, Int32(k))
        }
        for i in 0..<k {
            for j in i..<k {
                let v = Double(scratch[i * k + j])
                c[i * k + j] = v
                c[j * k + i] = v
            }
        }
    }

    /// C (m×n) = A (m×k) · Bᵀ where B is n×k; all row-major with the given leading dimensions.
    package static func multiplyTransposed(
        _ a: UnsafePointer<Float>, m: Int, lda: Int,
        _ b: UnsafePointer<Float>, n: Int, ldb: Int, k: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        ensureSingleThreaded()
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }

    /// y (m) = A (m×n, row-major, leading dimension `lda`) · x (n).
    package static func multiplyVector(_ a: UnsafePointer<Float>, rows: Int, columns: Int, lda: Int, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        ensureSingleThreaded()
        guard rows > 0 else { return }
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1, a, Int32(lda), x, 1, 0, y, 1)
    }

    /// Adds Σ rows of G (n×k, Double, row-major) outer products into C (k×k, upper triangle
    /// updated): C += GᵀG.
    package static func addGram(_ g: UnsafePointer<Double>, rows: Int, k: Int, into c: UnsafeMutablePointer<Double>) {
        ensureSingleThreaded()
        guard rows > 0 else { return }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(k), Int32(rows), 1, g, Int32(k), 1, c, Int32(k))
    }

    /// The same in Float: C += GᵀG, upper triangle, for n×k row-major Float G.
    package static func addGram(_ g: UnsafePointer<Float>, rows: Int, k: Int, into c: UnsafeMutablePointer<Float>) {
        ensureSingleThreaded()
        guard rows > 0 else { return }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(k), Int32(rows), 1, g, Int32(k), 1, c, Int32(k))
    }

    /// Replaces symmetric positive-definite A (k×k, Float, row-major, upper triangle read) by its
    /// Cholesky factor, for `solveFactored`. Returns false when A is not numerically positive
    /// definite.
    package static func factorPositiveDefinite(_ a: UnsafeMutablePointer<Float>, k: Int) -> Bool {
        ensureSingleThreaded()
        guard k > 0 else { return true }
        var n = Int32(k), lda = Int32(k), info: Int32 = 0
        // LAPACK is column-major: the row-major upper triangle is its lower one.
        var uplo = CChar(UInt8(ascii: "L"))
        spotrf_(&uplo, &n, a, &lda, &info)
        return info == 0
    }

    /// Solves A x = b in place (b becomes x) with the factor `factorPositiveDefinite` left.
    package static func solveFactored(_ factor: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>, k: Int) {
        ensureSingleThreaded()
        guard k > 0 else { return }
        var n = Int32(k), nrhs: Int32 = 1, lda = Int32(k), ldb = Int32(k), info: Int32 = 0
        var uplo = CChar(UInt8(ascii: "L"))
        spotrs_(&uplo, &n, &nrhs, factor, &lda, b, &ldb, &info)
    }

    /// Solves A x = b in place for symmetric positive-definite A (k×k, Double, row-major, only
    /// the upper triangle read); A is overwritten by its Cholesky factor and b by x. Returns
    /// false when A is not positive definite.
    package static func solvePositiveDefinite(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, k: Int) -> Bool {
        ensureSingleThreaded()
        guard k > 0 else { return true }
        var n = Int32(k), nrhs: Int32 = 1, lda = Int32(k), ldb = Int32(k), info: Int32 = 0
        // LAPACK is column-major: the row-major upper triangle is its lower one.
        var uplo = CChar(UInt8(ascii: "L"))
        dposv_(&uplo, &n, &nrhs, a, &lda, b, &ldb, &info)
        return info == 0
    }

    /// C (m×n) = A (m×k) · B (k×n) — Aᵀ for A stored k×m with `transposingA`, Bᵀ for B stored
    /// n×k with `transposingB`; Double, all row-major and packed.
    package static func multiply(
        _ a: UnsafePointer<Double>, m: Int, k: Int, _ b: UnsafePointer<Double>, n: Int, transposingA: Bool = false, transposingB: Bool = false,
        into c: UnsafeMutablePointer<Double>
    ) {
        ensureSingleThreaded()
        guard m > 0 else { return }
        cblas_dgemm(CblasRowMajor, transposingA ? CblasTrans : CblasNoTrans, transposingB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                    a, Int32(transposingA ? m : k), b, Int32(transposingB ? k : n), 0, c, Int32(n))
    }

    /// The eigenvalues (ascending) and eigenvectors of a symmetric k×k Double matrix given in
    /// full: `vectors` is row-major with eigenvector j in column j, so `vectors[i * k + j]` is
    /// its i-th component. Nil if LAPACK does not converge.
    package static func symmetricEigendecomposition(_ matrix: [Double], k: Int) -> (values: [Double], vectors: [Double])? {
        ensureSingleThreaded()
        precondition(matrix.count == k * k, "expected a \(k)×\(k) matrix")
        var a = matrix, values = [Double](repeating: 0, count: k)
        var n = Int32(k), lda = Int32(max(1, k)), info: Int32 = 0, lwork: Int32 = -1
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "L"))
        var size = 0.0
        dsyev_(&jobz, &uplo, &n, &a, &lda, &values, &size, &lwork, &info)
        guard info == 0 else { return nil }
        lwork = Int32(size)
        var work = [Double](repeating: 0, count: max(1, Int(lwork)))
        dsyev_(&jobz, &uplo, &n, &a, &lda, &values, &work, &lwork, &info)
        guard info == 0 else { return nil }
        // LAPACK leaves eigenvector j in column j of a column-major array: row-major, that is row j.
        var vectors = [Double](repeating: 0, count: k * k)
        for i in 0..<k { for j in 0..<k { vectors[i * k + j] = a[j * k + i] } }
        return (values, vectors)
    }
}
