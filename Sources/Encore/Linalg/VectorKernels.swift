import CEncoreKernels

/// Small vector kernels over Float32 and Double runs; they allocate nothing and are the inner
/// loops of training and retrieval. Each forwards to the kernel set chosen at run time for this
/// CPU (CEncoreKernels: AVX-512, AVX2 with FMA, or baseline), so that one binary runs at full
/// speed on every machine without a build flag.
package enum VectorKernels {
    /// The name of the kernel set in use: "avx512", "avx2" or "baseline".
    package static var instructionSet: String { String(cString: encore_kernels().pointee.name) }

    /// Whether all `n` values are finite (neither infinite nor NaN). Branch-free, so the loop
    /// runs as vectors: a value whose exponent bits are all set carries into the sign bit when
    /// the lowest exponent bit is added, and the carries are or-ed together. The loop that
    /// returned at the first non-finite value stayed scalar: about 1.4% of the samples of a CG
    /// run at k = 128, which checks every solved row.
    @inline(__always)
    static func allFinite(_ x: UnsafePointer<Float>, _ n: Int) -> Bool {
        var carries: UInt32 = 0
        for i in 0..<n { carries |= (x[i].bitPattern & 0x7f80_0000) &+ 0x0080_0000 }
        return carries & 0x8000_0000 == 0
    }

    /// Σ a[i]·b[i] over `n` elements.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        encore_dot_float(a, b, n)
    }

    /// y[i] += alpha·x[i] over `n` elements.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        encore_axpy_float(alpha, x, y, n)
    }

    /// c[u·ldc + i] = a_u·b_i for m rows of a (`lda` apart) and n rows of b (`ldb` apart), k
    /// values each: the scores of users against items. Every score is summed in the same order
    /// whatever m and n, so a user's scores are the same bits alone or in a batch (SGEMM's are not).
    @inline(__always)
    static func scores(
        _ a: UnsafePointer<Float>, m: Int, lda: Int, _ b: UnsafePointer<Float>, n: Int, ldb: Int, k: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        encore_score_rows(a, m, lda, b, n, ldb, k, c, ldc)
    }

    /// q[p] = rows[p]·v for `count` rows of `length` values stored one after another.
    @inline(__always)
    static func rowDots(_ rows: UnsafePointer<Float>, count: Int, length: Int, _ v: UnsafePointer<Float>, into q: UnsafeMutablePointer<Float>) {
        encore_row_dots_float(rows, count, length, v, q)
    }

    /// out += Σ_p w[p]·rows[p] for `count` rows of `length` values stored one after another.
    @inline(__always)
    static func accumulateRows(
        _ rows: UnsafePointer<Float>, count: Int, length: Int, weights w: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        encore_accumulate_rows(rows, count, length, w, out)
    }

    /// out = alpha·x + G·v for a symmetric n×n row-major G.
    @inline(__always)
    static func symmetricMultiply(
        _ g: UnsafePointer<Float>, _ v: UnsafePointer<Float>, plus alpha: Float, times x: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        for i in 0..<n { out[i] = alpha * x[i] }
        accumulateRows(g, count: n, length: n, weights: v, into: out)
    }

    /// r = b − (d + ridge)∘x − Σ_p w_p (y_p·x) y_p over `count` Float rows y_p of `length` values
    /// stored one after another, every product and sum in Double: the residual of a row's normal
    /// equations (G diagonal as `d`) for a solution found in Float.
    @inline(__always)
    static func residual(
        _ b: UnsafePointer<Double>, diagonal d: UnsafePointer<Double>, ridge: Double, rows: UnsafePointer<Float>, weights w: UnsafePointer<Float>,
        count: Int, length: Int, _ x: UnsafePointer<Double>, into r: UnsafeMutablePointer<Double>
    ) {
        encore_residual(b, d, ridge, rows, w, count, length, x, r)
    }

    /// x[i] *= alpha over `n` elements.
    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Float>, _ alpha: Float, _ n: Int) {
        for i in 0..<n { x[i] *= alpha }
    }
}
