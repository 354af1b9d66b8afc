/// One side's factors as training keeps them between half-steps: in the Gram eigenbasis their
/// last half-step solved them in (see GramEigenbasis), rather than turned back after every
/// half-step. The next half-step turns them once, from that basis straight into its own, so a
/// half-step costs one turn of each side instead of three; the factors themselves are only
/// formed when someone asks for them.
package final class TurnedFactors {
    /// The vectors: the factors' rows in `basis`, or the factors themselves when it is nil.
    package private(set) var matrix: DenseMatrix
    /// Q (k×k, row-major, orthonormal) with factors = matrix·Qᵀ, or nil.
    private(set) var basis: [Double]?
    /// A matrix of the same shape, allocated once: what the vectors are turned into (and then
    /// swapped with `matrix`), and, while this side is the fixed one of a half-step, where its
    /// copy in that half-step's eigenbasis is kept — the two uses never overlap.
    package private(set) var spare: DenseMatrix

    /// Factors held as they are, with `spare` as the spare matrix if it has their shape (a
    /// caller that makes these afresh every half-step keeps the spare from one to the next).
    package init(_ factors: DenseMatrix, spare: DenseMatrix? = nil) {
        matrix = factors
        self.spare = DenseMatrix.reusing(spare, rows: factors.rows, columns: factors.columns)
    }

    /// FᵀF of the factors F, k×k, full, Double: Q (MᵀM) Qᵀ, which needs no turn of M.
    func gram(threads: Int) -> [Double] {
        let inBasis = ImplicitALS.gram(of: matrix, threads: threads)
        guard let basis else { return inBasis }
        let k = matrix.columns
        var half = [Double](repeating: 0, count: k * k), result = [Double](repeating: 0, count: k * k)
        basis.withUnsafeBufferPointer { q in
            inBasis.withUnsafeBufferPointer { g in
                half.withUnsafeMutableBufferPointer { half in
                    BLAS.multiply(q.baseAddress!, m: k, k: k, g.baseAddress!, n: k, into: half.baseAddress!)
                    result.withUnsafeMutableBufferPointer { result in
                        BLAS.multiply(half.baseAddress!, m: k, k: k, q.baseAddress!, n: k, transposingB: true, into: result.baseAddress!)
                    }
                }
            }
        }
        // Symmetric exactly, as a Gram matrix summed directly is.
        for i in 0..<k { for j in 0..<i { result[j * k + i] = result[i * k + j] } }
        return result
    }

    /// Turns the vectors into `eigenbasis` (CG starts from them there); `exact` as the half-step
    /// turns its source.
    func turn(into eigenbasis: GramEigenbasis, threads: Int) {
        let k = matrix.columns
        let change = basis.map { GramEigenbasis.change(from: $0, to: eigenbasis.vectors, k: k) } ?? eigenbasis.vectors
        GramEigenbasis.turn(matrix, by: change, into: spare, exact: eigenbasis.exact, threads: threads)
        swap(&matrix, &spare)
        basis = eigenbasis.vectors
    }

    /// Records that the vectors are about to be solved in `eigenbasis` (an exact solve writes
    /// them without looking at what was there, so they need no turn first). They are solved
    /// into the spare, as after `turn(into:)`: either way, after a half-step the matrix handed
    /// in is the spare, so a caller that keeps it can take the factors back into it.
    func solved(in eigenbasis: GramEigenbasis) {
        swap(&matrix, &spare)
        basis = eigenbasis.vectors
    }

    /// Turns the vectors back to the factors themselves and keeps them so (for a half-step that
    /// cannot work in an eigenbasis: NNLS, or a failed eigensolver).
    func makePlain(threads: Int) {
        guard let basis else { return }
        GramEigenbasis.turn(matrix, by: basis, transposed: true, into: spare, exact: true, threads: threads)
        swap(&matrix, &spare)
        self.basis = nil
    }

    /// Replaces the vectors and their basis (nil: `vectors` are the factors themselves) with a
    /// resumed run's saved ones.
    func restore(_ vectors: DenseMatrix, basis: [Double]?) {
        precondition(vectors.rows == matrix.rows && vectors.columns == matrix.columns, "restored vectors have the wrong shape")
        precondition(basis == nil || basis!.count == vectors.columns * vectors.columns, "a restored basis is k × k")
        matrix = vectors
        self.basis = basis
    }

    /// The factors, turned back in Double, as a new matrix (the held one itself when they are
    /// held as they are).
    func factors(threads: Int) -> DenseMatrix {
        guard let basis else { return matrix }
        let output = DenseMatrix(rows: matrix.rows, columns: matrix.columns)
        GramEigenbasis.turn(matrix, by: basis, transposed: true, into: output, exact: true, threads: threads)
        return output
    }

    /// Writes the factors into `output` (same shape; the spare, or a matrix of the caller's),
    /// turned back in Double with `exact`, else in Float.
    package func factors(into output: DenseMatrix, exact: Bool, threads: Int) {
        guard let basis else {
            if output !== matrix { output.storage.update(from: matrix.storage, count: matrix.rows * matrix.stride) }
            return
        }
        GramEigenbasis.turn(matrix, by: basis, transposed: true, into: output, exact: exact, threads: threads)
    }
}
