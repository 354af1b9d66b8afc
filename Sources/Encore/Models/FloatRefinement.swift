/// The exact solve of a long row in the Gram eigenbasis, and its scratch space: A = Λ + λs I +
/// Σ c₁ y yᵀ is assembled and factorised in Float — SYRK and Cholesky at twice their Double
/// rate — and the solution refined against A x = b evaluated in Double from the packed vectors
/// (2mk multiply-adds a pass, against mk²/2 to assemble A in Double), until a correction no
/// longer moves it at Float precision. The answer is the Double system's to the precision the
/// factors are stored in.
final class FloatRefinement {
    /// A in Float, then its Cholesky factor.
    private let system: UnsafeMutablePointer<Float>
    /// `NormalEquations.gatherBlock` scaled vectors on their way into SYRK.
    private let gathered: UnsafeMutablePointer<Float>
    /// One pass's correction to the solution.
    private let correction: UnsafeMutablePointer<Float>
    let k: Int
    /// Refinement passes the Float factorisation is given to reach the Double solution (each
    /// gains about as many digits as the scaled system is well conditioned; on the reference
    /// workload every long row settles after one residual) before the row is assembled in
    /// Double instead.
    static let passLimit = 6

    init(k: Int) {
        self.k = k
        system = .allocateCacheAligned(capacity: k * k)
        gathered = .allocateCacheAligned(capacity: NormalEquations.gatherBlock * k)
        correction = .allocateCacheAligned(capacity: k)
    }

    deinit {
        for pointer in [system, gathered, correction] { pointer.deallocate() }
    }

    /// Solves the `count` packed vectors of `row` against `target.b` into `target.solution`,
    /// with G = `diagonal`. Returns false, leaving the row to the Double assembly, when the
    /// Float factorisation fails or the refinement has not settled after `passLimit`.
    func solve(
        _ row: PackedRow, count n: Int, diagonal: UnsafePointer<Double>, ridge: Double, target: DoubleSystem, equations: NormalEquations
    ) -> Bool {
        let k = self.k, b = target.b, solution = target.solution, residual = target.scratch
        system.update(repeating: 0, count: k * k)
        for j in 0..<k { system[j * k + j] = Float(diagonal[j] + ridge) }
        equations.addWeightedGram(of: row, count: n, through: gathered, into: system, BLAS.addGram(_:rows:k:into:))
        guard BLAS.factorPositiveDefinite(system, k: k) else { return false }
        // x = 0, so the first residual is b.
        solution.update(repeating: 0, count: k)
        residual.update(from: b, count: k)
        var previousStep = 0.0
        for pass in 0..<FloatRefinement.passLimit {
            for j in 0..<k { correction[j] = Float(residual[j]) }
            BLAS.solveFactored(system, correction, k: k)
            var largestStep: Float = 0, largest = 0.0
            for j in 0..<k {
                solution[j] += Double(correction[j])
                largestStep = max(largestStep, abs(correction[j]))
                largest = max(largest, abs(solution[j]))
            }
            // Refinement converges linearly: the error left after this correction is about
            // the correction times its ratio to the one before. Done when that is below half a
            // unit in the last place of Float, the precision the solution is stored in.
            let step = Double(largestStep)
            if pass > 0 && step <= 0.5 * previousStep && step * (step / previousStep) <= 0x1p-25 * largest { return true }
            previousStep = step
            VectorKernels.residual(b, diagonal: diagonal, ridge: ridge, rows: row.vectors, weights: row.confidences, count: n, length: k,
                                   solution, into: residual)
        }
        return false
    }
}
