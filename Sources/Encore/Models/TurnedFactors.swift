/// One side's factors as training keeps them between half-steps: in the Gram eigenbasis they
/// were last turned or solved in (see GramEigenbasis), rather than turned back after every
/// half-step. The next half-step turns them once, from that basis straight into its own, so a
/// half-step costs one turn of each side instead of three; the factors themselves are only
/// formed when someone asks for them.
///
/// One matrix per side and no other: every turn is made in place (a billion-play run has no
/// room for a second copy of ten million vectors), both when the side is the one being solved
/// and when it is the fixed side the other is solved against.
package final class TurnedFactors {
    /// The vectors: the factors' rows in `basis`, or the factors themselves when it is nil.
    package private(set) var matrix: DenseMatrix
    /// Q (k×k, row-major, orthonormal) with factors = matrix·Qᵀ, or nil.
    private(set) var basis: [Double]?

    /// Factors held as they are (the matrix is taken, not copied: turns change it).
    package init(_ factors: DenseMatrix) {
        matrix = factors
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

    /// Turns the vectors, in place, into `eigenbasis`: the fixed side before a half-step solves
    /// against it, and the solved side under CG, which starts from them there. Turned in Double
    /// when `eigenbasis.exact` (the exact solve), else in Float.
    func turn(into eigenbasis: GramEigenbasis, threads: Int) {
        let k = matrix.columns
        let change = basis.map { GramEigenbasis.change(from: $0, to: eigenbasis.vectors, k: k) } ?? eigenbasis.vectors
        GramEigenbasis.turn(matrix, by: change, into: matrix, exact: eigenbasis.exact, threads: threads)
        basis = eigenbasis.vectors
    }

    /// Records that the vectors are about to be solved in `eigenbasis` (an exact solve writes
    /// them without looking at what was there, so they need no turn first).
    func solved(in eigenbasis: GramEigenbasis) {
        basis = eigenbasis.vectors
    }

    /// Turns the vectors back, in place and in Double, to the factors themselves and keeps them
    /// so (for a half-step that cannot work in an eigenbasis — NNLS, or a failed eigensolver —
    /// and at the end of training).
    func makePlain(threads: Int) {
        guard let basis else { return }
        GramEigenbasis.turn(matrix, by: basis, transposed: true, into: matrix, exact: true, threads: threads)
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
    /// held as they are): for a look during training (progress, checkpoints), which must not
    /// change the vectors training goes on from.
    func factors(threads: Int) -> DenseMatrix {
        guard let basis else { return matrix }
        let output = DenseMatrix(rows: matrix.rows, columns: matrix.columns)
        GramEigenbasis.turn(matrix, by: basis, transposed: true, into: output, exact: true, threads: threads)
        return output
    }

    /// The factors, turned back in place: what training ends with (no copy; the same bits as
    /// `factors(threads:)`). The vectors are plain afterwards.
    func takeFactors(threads: Int) -> DenseMatrix {
        makePlain(threads: threads)
        return matrix
    }

    /// Writes the factors into `output` (same shape: the held matrix itself, turned back in
    /// place, or a matrix of the caller's), turned back in Double with `exact`, else in Float.
    package func factors(into output: DenseMatrix, exact: Bool, threads: Int) {
        guard let basis else {
            if output !== matrix { output.storage.update(from: matrix.storage, count: matrix.rows * matrix.stride) }
            return
        }
        GramEigenbasis.turn(matrix, by: basis, transposed: true, into: output, exact: exact, threads: threads)
        if output === matrix { self.basis = nil }
    }
}
