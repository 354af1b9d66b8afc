import CBLAS

/// One thread's workspace for solving a row's normal equations
/// `(G + Σ_i c1_i y_i y_iᵀ + λ s I) x = Σ_i c_i p_i y_i`, with G = YᵀY shared by every row.
/// Allocated once per thread and reused for every row, so the hot loop allocates nothing.
public final class RowSolver {
    let k: Int
    let configuration: ALSConfiguration
    // Scratch space, allocated once per thread; raw pointers keep the hot loops free of
    // copy-on-write checks and exclusivity bookkeeping.
    private let a: UnsafeMutablePointer<Double>
    private let b: UnsafeMutablePointer<Double>
    private let solution: UnsafeMutablePointer<Double>
    private let savedA: UnsafeMutablePointer<Double>
    private let gathered: UnsafeMutablePointer<Double>
    private var packed: UnsafeMutablePointer<Float>
    private var packedConfidence: UnsafeMutablePointer<Float>
    private var packedProjection: UnsafeMutablePointer<Float>
    private var packedCapacity = 0
    /// How many vectors of the row just solved are in `packed` (-1 when they are not there).
    private var packedRowCount = -1
    private let residual: UnsafeMutablePointer<Float>
    private let direction: UnsafeMutablePointer<Float>
    private let product: UnsafeMutablePointer<Float>
    private var nnls: NonNegativeLeastSquares?
    /// Rows are gathered for SYRK in blocks of this many, bounding memory for very popular items.
    private static let gatherBlock = 256
    /// How many rows ahead a gather asks for the row it will copy.
    private static let prefetchDistance = 8

    /// Asks for every cache line of `matrix`'s row `row`.
    @inline(__always) private static func prefetchRow(_ matrix: DenseMatrix, _ row: Int) {
        let start = UnsafeRawPointer(matrix.row(row))
        for offset in stride(from: 0, to: matrix.columns * 4, by: 64) { encore_prefetch(start + offset) }
    }

    /// Packed rows per block of a CG product: 64 rows of k = 64 are 16 KiB, well inside L1.
    private static let passBlock = 64

    /// A workspace for rank-`k` rows solved as `configuration` says.
    public init(k: Int, configuration: ALSConfiguration) {
        self.k = k
        self.configuration = configuration
        a = .allocate(capacity: k * k)
        savedA = .allocate(capacity: k * k)
        b = .allocate(capacity: k)
        solution = .allocate(capacity: k)
        gathered = .allocate(capacity: RowSolver.gatherBlock * k)
        packed = .allocate(capacity: 1)
        packedConfidence = .allocate(capacity: 1)
        packedProjection = .allocate(capacity: 1)
        residual = .allocate(capacity: k)
        direction = .allocate(capacity: k)
        product = .allocate(capacity: k)
        nnls = configuration.nonnegative ? NonNegativeLeastSquares(k: k) : nil
    }

    deinit {
        for pointer in [a, savedA, b, solution, gathered] { pointer.deallocate() }
        for pointer in [packed, packedConfidence, packedProjection, residual, direction, product] { pointer.deallocate() }
    }

    /// Solves one row in place into `target` (k values, warm start for CG). `columns`/`values`
    /// are the row's observed entries; `source` holds the other side's factors; `gram` is YᵀY
    /// (k×k Double) and `gramFloat` the same in Float. Returns false if the result is not finite.
    func solve(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, source: DenseMatrix,
        gram: UnsafePointer<Double>, gramFloat: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>,
        forceCholesky: Bool = false
    ) -> Bool {
        packedRowCount = -1
        if configuration.solver == .cg && !forceCholesky {
            conjugateGradient(columns: columns, values: values, source: source, gram: gramFloat, x: target)
        } else {
            exact(columns: columns, values: values, source: source, gram: gram, x: target)
        }
        for j in 0..<k where !target[j].isFinite { return false }
        return true
    }

    /// This row's share of the objective with the row's new vector `x`:
    /// xᵀGx + Σ_observed [c (p − s)² − s²] + λ s_u ‖x‖², with s = x·y. Called right after the
    /// solve, while the row's item vectors are still in cache, so the loss costs no extra pass
    /// over the ratings.
    func objectiveTerm(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, source: DenseMatrix,
        gramFloat: UnsafePointer<Float>, x: UnsafePointer<Float>
    ) -> Double {
        let k = self.k, alpha = configuration.alpha, epsilon = configuration.epsilon, confidence = configuration.confidence
        VectorKernels.symmetricMultiply(gramFloat, x, plus: 0, times: x, into: product, k)
        let quadratic = Double(VectorKernels.dot(x, product, k))
        var observed = 0.0
        var positives = 0
        // After a CG solve the row's vectors are still packed: reading them again from the
        // source matrix would be a second random gather of every observed vector.
        let packedScores = packedRowCount == columns.count
        if packedScores { VectorKernels.rowDots(packed, count: columns.count, length: k, x, into: packedProjection) }
        for p in 0..<columns.count {
            let r = values[p]
            let s = Double(packedScores ? packedProjection[p] : VectorKernels.dot(x, source.row(Int(columns[p])), k))
            let c = 1 + Double(confidence.confidenceMinusOne(r, alpha: alpha, epsilon: epsilon))
            let preference: Double = r > 0 ? 1 : 0
            if r > 0 { positives += 1 }
            observed += c * (preference - s) * (preference - s) - s * s
        }
        return quadratic + observed + Double(lambda(positives: positives)) * Double(VectorKernels.dot(x, x, k))
    }

    /// λ·s for a row with `positives` entries of r > 0.
    @inline(__always) private func lambda(positives: Int) -> Float {
        configuration.regularizationScaling == .spark ? configuration.regularization * Float(positives) : configuration.regularization
    }

    private func exact(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, source: DenseMatrix,
        gram: UnsafePointer<Double>, x: UnsafeMutablePointer<Float>
    ) {
        let k = self.k, alpha = configuration.alpha, epsilon = configuration.epsilon, confidence = configuration.confidence
        var positives = 0
        a.update(from: gram, count: k * k)
        b.update(repeating: 0, count: k)
        var filled = 0
        let lookahead = RowSolver.prefetchDistance
        for p in 0..<min(columns.count, lookahead) { RowSolver.prefetchRow(source, Int(columns[p])) }
        for p in 0..<columns.count {
            if p + lookahead < columns.count { RowSolver.prefetchRow(source, Int(columns[p + lookahead])) }
            let r = values[p]
            let c1 = confidence.confidenceMinusOne(r, alpha: alpha, epsilon: epsilon)
            let y = source.row(Int(columns[p]))
            if r > 0 {
                positives += 1
                let weight = 1 + Double(c1)
                for j in 0..<k { b[j] += weight * Double(y[j]) }
            }
            if c1 > 0 {
                let scale = Double(c1).squareRoot()
                let row = gathered + filled * k
                for j in 0..<k { row[j] = scale * Double(y[j]) }
                filled += 1
                if filled == RowSolver.gatherBlock {
                    BLAS.addGram(gathered, rows: filled, k: k, into: a)
                    filled = 0
                }
            }
        }
        BLAS.addGram(gathered, rows: filled, k: k, into: a)
        for i in 0..<k { for j in (i + 1)..<max(i + 1, k) { a[j * k + i] = a[i * k + j] } }
        solveAssembled(positives: positives, x: x)
    }

    /// Solves a row whose normal equations were assembled elsewhere — in distributed training,
    /// summed from partial sums shipped by several processes: `matrix` is G + Σ c1 y yᵀ (k×k,
    /// full, without the ridge), `rhs` is Σ c p y, `positives` the row's count of r > 0. The ridge
    /// is added here; Cholesky (or NNLS) solves exactly, CG takes the configured steps on the
    /// dense system, warm-started from `x`. Returns false if the result is not finite.
    public func solveNormalEquations(
        matrix: UnsafePointer<Double>, rhs: UnsafePointer<Double>, positives: Int, x: UnsafeMutablePointer<Float>
    ) -> Bool {
        a.update(from: matrix, count: k * k)
        b.update(from: rhs, count: k)
        if configuration.solver == .cg {
            for j in 0..<k { a[j * k + j] += Double(lambda(positives: positives)) }
            denseConjugateGradient(x: x)
        } else {
            solveAssembled(positives: positives, x: x)
        }
        for j in 0..<k where !x[j].isFinite { return false }
        return true
    }

    /// CG on the dense system in `a`, `b` (ridge included), warm-started from `x`.
    private func denseConjugateGradient(x: UnsafeMutablePointer<Float>) {
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
        for _ in 0..<configuration.cgSteps {
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

    /// Adds the ridge to the system in `a`, `b` and solves it exactly into `x`.
    private func solveAssembled(positives: Int, x: UnsafeMutablePointer<Float>) {
        let k = self.k
        let ridge = Double(lambda(positives: positives))
        for j in 0..<k { a[j * k + j] += ridge }

        if (0..<k).allSatisfy({ b[$0] == 0 }) {
            // No positive observation: the minimiser is the zero vector, whatever A is.
            x.update(repeating: 0, count: k)
            return
        }
        if nnls != nil {
            nnls!.solve(a: a, b: b, x: solution)
        } else {
            savedA.update(from: a, count: k * k)
            solution.update(from: b, count: k)
            if !BLAS.solvePositiveDefinite(a, solution, k: k) {
                // Not positive definite (e.g. more factors than observed items with λ = 0): add
                // a small ridge relative to the diagonal rather than emit NaN.
                a.update(from: savedA, count: k * k)
                var trace = 0.0
                for j in 0..<k { trace += a[j * k + j] }
                let extra = max(1e-9, 1e-6 * trace / Double(k))
                for j in 0..<k { a[j * k + j] += extra }
                solution.update(from: b, count: k)
                if !DenseCholesky.solve(a, solution, n: k) { solution.update(repeating: 0, count: k) }
            }
        }
        for j in 0..<k { x[j] = Float(solution[j]) }
    }

    private func conjugateGradient(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, source: DenseMatrix,
        gram: UnsafePointer<Float>, x: UnsafeMutablePointer<Float>
    ) {
        let k = self.k, n = columns.count
        let alpha = configuration.alpha, epsilon = configuration.epsilon, confidence = configuration.confidence
        if packedCapacity < n {
            packed.deallocate()
            packedConfidence.deallocate()
            packedProjection.deallocate()
            packedCapacity = max(n, 2 * packedCapacity)
            packed = .allocate(capacity: packedCapacity * k)
            packedConfidence = .allocate(capacity: packedCapacity)
            packedProjection = .allocate(capacity: packedCapacity)
        }
        let ys = packed, c1s = packedConfidence, q = packedProjection, r = residual, d = direction, ap = product
        var positives = 0
        packedRowCount = n
        // r = b − A x, with the row's item vectors packed once so every CG step runs from cache.
        // Each product with the packed rows is two passes — every row's dot product, then one
        // weighted sum of the rows — so no row waits on the one before it.
        let lookahead = RowSolver.prefetchDistance
        for p in 0..<min(n, lookahead) { RowSolver.prefetchRow(source, Int(columns[p])) }
        for p in 0..<n {
            if p + lookahead < n { RowSolver.prefetchRow(source, Int(columns[p + lookahead])) }
            (ys + p * k).update(from: source.row(Int(columns[p])), count: k)
            let weight = values[p]
            c1s[p] = confidence.confidenceMinusOne(weight, alpha: alpha, epsilon: epsilon)
            if weight > 0 { positives += 1 }
        }
        let ridge = lambda(positives: positives)
        VectorKernels.symmetricMultiply(gram, x, plus: ridge, times: x, into: r, k)
        VectorKernels.scale(r, -1, k)
        // In blocks that stay in L1 between the two passes, so a long row (a popular item's
        // listeners) is streamed from memory once per product, not twice.
        for start in stride(from: 0, to: n, by: RowSolver.passBlock) {
            let count = min(RowSolver.passBlock, n - start), rows = ys + start * k
            VectorKernels.rowDots(rows, count: count, length: k, x, into: q + start)
            for p in start..<(start + count) {
                let target: Float = values[p] > 0 ? 1 + c1s[p] : 0
                q[p] = target - c1s[p] * q[p]
            }
            VectorKernels.accumulateRows(rows, count: count, length: k, weights: q + start, into: r)
        }
        d.update(from: r, count: k)
        var rsOld = VectorKernels.dot(r, r, k)
        if rsOld < 1e-20 { return }
        for _ in 0..<configuration.cgSteps {
            VectorKernels.symmetricMultiply(gram, d, plus: ridge, times: d, into: ap, k)
            for start in stride(from: 0, to: n, by: RowSolver.passBlock) {
                let count = min(RowSolver.passBlock, n - start), rows = ys + start * k
                VectorKernels.rowDots(rows, count: count, length: k, d, into: q + start)
                for p in start..<(start + count) { q[p] *= c1s[p] }
                VectorKernels.accumulateRows(rows, count: count, length: k, weights: q + start, into: ap)
            }
            let curvature = VectorKernels.dot(d, ap, k)
            guard curvature > 0 else { break }
            let step = rsOld / curvature
            VectorKernels.axpy(step, d, x, k)
            VectorKernels.axpy(-step, ap, r, k)
            let rsNew = VectorKernels.dot(r, r, k)
            if rsNew < 1e-20 { break }
            let beta = rsNew / rsOld
            for i in 0..<k { d[i] = r[i] + beta * d[i] }
            rsOld = rsNew
        }
    }
}
