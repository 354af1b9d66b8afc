import CBLAS

/// The thin shim over OpenBLAS: the few BLAS/LAPACK calls Encore makes, in its own orientation
/// (row-major), with OpenBLAS's thread pool switched off because Encore runs its own threads.
public enum BLAS {
    private static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// Makes OpenBLAS run on the calling thread only; called before any BLAS work.
    public static func ensureSingleThreaded() { _ = singleThreaded }

    /// C (k×k, Double, full symmetric) = AᵀA for the first `rows` rows of row-major A (rows × k,
    /// leading dimension `lda`). Accumulated by SSYRK in Float, then widened.
    public static func gram(_ a: UnsafePointer<Float>, rows: Int, k: Int, lda: Int, into c: UnsafeMutablePointer<Double>) {
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
    public static func multiplyTransposed(
        _ a: UnsafePointer<Float>, m: Int, lda: Int,
        _ b: UnsafePointer<Float>, n: Int, ldb: Int, k: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        ensureSingleThreaded()
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }

    /// y (m) = A (m×n, row-major, leading dimension `lda`) · x (n).
    public static func multiplyVector(_ a: UnsafePointer<Float>, rows: Int, columns: Int, lda: Int, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        ensureSingleThreaded()
        guard rows > 0 else { return }
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1, a, Int32(lda), x, 1, 0, y, 1)
    }

    /// Adds Σ rows of G (n×k, Double, row-major) outer products into C (k×k, upper triangle
    /// updated): C += GᵀG.
    public static func addGram(_ g: UnsafePointer<Double>, rows: Int, k: Int, into c: UnsafeMutablePointer<Double>) {
        ensureSingleThreaded()
        guard rows > 0 else { return }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(k), Int32(rows), 1, g, Int32(k), 1, c, Int32(k))
    }

    /// Solves A x = b in place for symmetric positive-definite A (k×k, Double, full storage);
    /// A is overwritten by its Cholesky factor and b by x. Returns false when A is not
    /// positive definite.
    public static func solvePositiveDefinite(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, k: Int) -> Bool {
        ensureSingleThreaded()
        var n = Int32(k), nrhs: Int32 = 1, lda = Int32(k), ldb = Int32(k), info: Int32 = 0
        var uplo = CChar(UInt8(ascii: "U"))
        dposv_(&uplo, &n, &nrhs, a, &lda, b, &ldb, &info)
        return info == 0
    }
}
