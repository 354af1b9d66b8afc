/// The Gram matrix of one side's factors, diagonalised: G = YᵀY = Q Λ Qᵀ.
///
/// Why: a half-step that turns both sides' vectors into this basis (Ỹ = Y Q for the fixed side,
/// X Q for the solved one) solves every row with a diagonal G, and the solutions turned back
/// (X Qᵀ) are those of the plain basis: the rows' systems, their solutions and the objective are
/// the same in any orthonormal basis (training turns back only when the factors are asked for;
/// see TurnedFactors). There, CG's product with G costs k operations instead of k², and a row
/// with fewer observations m than factors k is solved exactly through the m×m system of the
/// Woodbury identity — O(m²k) — instead of assembling and factorising k×k — O(mk² + k³). Most
/// rows of listening data are that short (median 30 artists per listener on Last.fm 360K).
/// Turning costs a k×k product per vector, done by RowTransform (Float) or blocked DGEMMs
/// (Double), in place: a billion-play run cannot afford a second copy of either side.
package final class GramEigenbasis: @unchecked Sendable {
    /// The rank k.
    package let k: Int
    /// Q, row-major k×k: `vectors[i * k + j]` is component i of eigenvector j.
    package let vectors: [Double]
    /// Λ, ascending; never below 0 (rounding can leave a tiny negative eigenvalue of a
    /// positive semi-definite matrix, which is clamped).
    package let values: [Double]
    /// Λ in Float, for CG.
    package let floatValues: [Float]
    /// Whether vectors are turned in Double (as exact as Float can hold them, for the exact
    /// solve) or in Float (for CG, itself in Float).
    package let exact: Bool

    /// Rows turned per task (Float, by RowTransform) or per BLAS call (Double: enough that
    /// packing, which every call does, costs little next to the product). In Double, a block
    /// also needs two scratch arrays (64 KiB each at k = 64, 128 KiB at k = 128), made once per
    /// task of `doubleBlocksPerTask` blocks: made per block, at k = 128 they are as large as the
    /// mmap threshold the CLI fixes (`GlibcMalloc`), and each pair became two fresh
    /// mappings, thousands a turn.
    private static let floatBlock = 1024, doubleBlock = 128, doubleBlocksPerTask = 32

    /// Diagonalises `gram` (k×k, full, = YᵀY for the factors Y or a sum of such over
    /// processes). Nil if the eigensolver fails.
    package init?(gram: [Double], k: Int, exact: Bool) {
        guard let (values, vectors) = BLAS.symmetricEigendecomposition(gram, k: k) else { return nil }
        self.k = k
        self.exact = exact
        self.values = values.map { max(0, $0) }
        floatValues = self.values.map { Float($0) }
        self.vectors = vectors
    }

    /// Writes x Q (or, `back`, x Qᵀ — undoing it) into `output` for every row x of `input`
    /// (the same matrix, or another of the same shape).
    package func turn(_ input: DenseMatrix, back: Bool = false, into output: DenseMatrix, threads: Int) {
        GramEigenbasis.turn(input, by: vectors, transposed: back, into: output, exact: exact, threads: threads)
    }

    /// BᵀQ (k×k, row-major): what turns rows held in basis B (x = x_B Bᵀ) into basis Q.
    package static func change(from b: [Double], to q: [Double], k: Int) -> [Double] {
        var result = [Double](repeating: 0, count: k * k)
        // (BᵀQ)[r][c] = Σ_i B[i][r] Q[i][c]: one DGEMM on k×k.
        b.withUnsafeBufferPointer { b in
            q.withUnsafeBufferPointer { q in
                result.withUnsafeMutableBufferPointer { out in
                    BLAS.multiply(b.baseAddress!, m: k, k: k, q.baseAddress!, n: k, transposingA: true, into: out.baseAddress!)
                }
            }
        }
        return result
    }

    /// Writes x M (or x Mᵀ with `transposed`) into `output` for every row x of `input`, for a
    /// k×k row-major `matrix`, in blocks of rows on the threads: in Float, or with `exact` in
    /// Double, so the turned vectors are as exact as Float can hold them. `output` may be
    /// `input` itself: each block of rows is read into a small buffer before it is written,
    /// and the result is the same bits either way.
    package static func turn(
        _ input: DenseMatrix, by matrix: [Double], transposed: Bool = false, into output: DenseMatrix, exact: Bool, threads: Int
    ) {
        let k = input.columns
        precondition(input.rows == output.rows && output.columns == k && matrix.count == k * k,
                     "turning needs an output of the same shape")
        if !exact {
            let transform = RowTransform(matrix, k: k, stride: input.stride, transposed: transposed)
            Parallel.forEachChunk(count: input.rows, chunkSize: GramEigenbasis.floatBlock, threads: threads) { rows, _ in
                if input === output {
                    transform.applyInPlace(to: input, rows: rows)
                } else {
                    transform.apply(to: input, rows: rows, into: output)
                }
            }
            return
        }
        let block = GramEigenbasis.doubleBlock
        matrix.withUnsafeBufferPointer { q in
            Parallel.forEachChunk(count: input.rows, chunkSize: block * GramEigenbasis.doubleBlocksPerTask, threads: threads) { task, _ in
                let before = UnsafeMutablePointer<Double>.allocate(capacity: block * k)
                let after = UnsafeMutablePointer<Double>.allocate(capacity: block * k)
                defer { before.deallocate(); after.deallocate() }
                // The same blocks of `block` rows as one task per block would make, so the same
                // BLAS calls and the same bits.
                for start in Swift.stride(from: task.lowerBound, to: task.upperBound, by: block) {
                    let rows = start..<min(start + block, task.upperBound)
                    for (offset, row) in rows.enumerated() {
                        let x = input.row(row)
                        for j in 0..<k { before[offset * k + j] = Double(x[j]) }
                    }
                    BLAS.multiply(before, m: rows.count, k: k, q.baseAddress!, n: k, transposingB: transposed, into: after)
                    for (offset, row) in rows.enumerated() {
                        let x = output.row(row)
                        for j in 0..<k { x[j] = Float(after[offset * k + j]) }
                    }
                }
            }
        }
    }
}
