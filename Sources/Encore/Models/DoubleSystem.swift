/// A row's k×k system assembled in Double, and the solves that need it whole: Cholesky with a
/// ridge fallback, NNLS, and CG on a dense system. Also holds the right-hand side b and the
/// Double solution that every exact path (Woodbury, Float refinement) writes into.
final class DoubleSystem {
    let k: Int
    /// A, k×k row-major: the upper triangle as assembled, the lower filled where a solver wants it full.
    let a: UnsafeMutablePointer<Double>
    /// b, the right-hand side (k).
    let b: UnsafeMutablePointer<Double>
    /// The solution (k).
    let solution: UnsafeMutablePointer<Double>
    /// k values any path may use between steps (the Woodbury and refinement residuals).
    let scratch: UnsafeMutablePointer<Double>
    /// `NormalEquations.gatherBlock` scaled vectors on their way into SYRK; dense CG's three vectors.
    let gathered: UnsafeMutablePointer<Double>
    /// A summed system without its ridge (k×k, full): kept for the objective and the fallback.
    let unridged: UnsafeMutablePointer<Double>

    init(k: Int) {
        self.k = k
        a = .allocateCacheAligned(capacity: k * k)
        b = .allocateCacheAligned(capacity: k)
        solution = .allocateCacheAligned(capacity: k)
        scratch = .allocateCacheAligned(capacity: k)
        gathered = .allocateCacheAligned(capacity: max(NormalEquations.gatherBlock, 3) * k)
        unridged = .allocateCacheAligned(capacity: k * k)
    }

    deinit {
        for pointer in [a, b, solution, scratch, gathered, unridged] { pointer.deallocate() }
    }

    /// Whether b is all zero: a row with no positive observation, whose minimiser is the zero
    /// vector whatever A is.
    var rightHandSideIsZero: Bool { (0..<k).allSatisfy { b[$0] == 0 } }

    /// Fills A's upper triangle with G + λs I + Σ c₁ y yᵀ over the `count` packed vectors of `row`.
    func assemble(_ row: PackedRow, count n: Int, gram: RowSolver.Gram, ridge: Double, equations: NormalEquations) {
        let k = self.k
        if gram.isDiagonal {
            a.update(repeating: 0, count: k * k)
            for j in 0..<k { a[j * k + j] = gram.double[j] + ridge }
        } else {
            a.update(from: gram.double, count: k * k)
            for j in 0..<k { a[j * k + j] += ridge }
        }
        equations.addWeightedGram(of: row, count: n, through: gathered, into: a, BLAS.addGram(_:rows:k:into:))
    }

    /// Sets A = `unridged` + `ridge` I (full).
    func restoreFromUnridged(ridge: Double) {
        a.update(from: unridged, count: k * k)
        for j in 0..<k { a[j * k + j] += ridge }
    }

    private func fillLowerTriangle() {
        for i in 0..<k { for j in (i + 1)..<max(i + 1, k) { a[j * k + i] = a[i * k + j] } }
    }

    /// Solves A (upper triangle, ridge included) x = b into `solution`: by NNLS when given,
    /// else by Cholesky. If A is not positive definite (λ = 0 and fewer observations than
    /// factors), `restore` rebuilds it and a small ridge relative to its diagonal is added
    /// rather than emit NaN.
    func solve(nnls: inout NonNegativeLeastSquares?, restore: () -> Void) {
        let k = self.k
        if nnls != nil {
            fillLowerTriangle()
            nnls!.solve(a: a, b: b, x: solution)
            return
        }
        solution.update(from: b, count: k)
        if BLAS.solvePositiveDefinite(a, solution, k: k) { return }
        restore()
        fillLowerTriangle()
        var trace = 0.0
        for j in 0..<k { trace += a[j * k + j] }
        let extra = max(1e-9, 1e-6 * trace / Double(k))
        for j in 0..<k { a[j * k + j] += extra }
        solution.update(from: b, count: k)
        if !DenseCholesky.solve(a, solution, n: k) { solution.update(repeating: 0, count: k) }
    }

    /// `steps` CG steps on the dense system in A (full, ridge included) and b, warm-started from `x`.
    func conjugateGradient(x: UnsafeMutablePointer<Float>, steps: Int) {
        let k = self.k, a = self.a, b = self.b
        let r = gathered, d = gathered + k, ap = gathered + 2 * k, current = solution
        for i in 0..<k { current[i] = Double(x[i]) }
        for i in 0..<k {
            var sum = 0.0
            for j in 0..<k { sum += a[i * k + j] * current[j] }
            r[i] = b[i] - sum
            d[i] = r[i]
        }
        var rsOld = (0..<k).reduce(0.0) { $0 + r[$1] * r[$1] }
        if rsOld < 1e-20 { return }
        for _ in 0..<steps {
            var curvature = 0.0
            for i in 0..<k {
                var sum = 0.0
                for j in 0..<k { sum += a[i * k + j] * d[j] }
                ap[i] = sum
                curvature += d[i] * sum
            }
            guard curvature > 0 else { break }
            let step = rsOld / curvature
            for i in 0..<k {
                current[i] += step * d[i]
                r[i] -= step * ap[i]
            }
            let rsNew = (0..<k).reduce(0.0) { $0 + r[$1] * r[$1] }
            if rsNew < 1e-20 { break }
            for i in 0..<k { d[i] = r[i] + rsNew / rsOld * d[i] }
            rsOld = rsNew
        }
        for i in 0..<k { x[i] = Float(current[i]) }
    }
}
