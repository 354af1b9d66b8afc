import CEncoreKernels

/// One thread's workspace for solving a row's normal equations
/// `(G + Σ_i c1_i y_i y_iᵀ + λ s I) x = Σ_i c_i p_i y_i`, with G = YᵀY shared by every row.
/// Allocated once per thread and reused for every row, so the hot loop allocates nothing.
///
/// A half-step usually hands it everything in the eigenbasis of G (see GramEigenbasis), where G
/// is diagonal: CG's products with G then cost k instead of k² operations, and an exact solve
/// of a row with fewer observations than factors goes through the Woodbury identity.
package final class RowSolver {
    /// YᵀY as the rows of one half-step see it.
    struct Gram {
        /// k×k row-major and full, or its k diagonal entries when `isDiagonal`.
        let double: UnsafePointer<Double>
        /// The same in Float, for CG.
        let float: UnsafePointer<Float>
        /// Whether the vectors are in G's eigenbasis, so that G is the diagonal Λ.
        let isDiagonal: Bool
    }

    let k: Int
    let configuration: ALSConfiguration
    // Scratch space, allocated once per thread; raw pointers keep the hot loops free of
    // copy-on-write checks and exclusivity bookkeeping.
    private let a: UnsafeMutablePointer<Double>
    private let b: UnsafeMutablePointer<Double>
    private let solution: UnsafeMutablePointer<Double>
    private let scratch: UnsafeMutablePointer<Double>
    private let gathered: UnsafeMutablePointer<Double>
    private var packed: UnsafeMutablePointer<Float>
    private var packedConfidence: UnsafeMutablePointer<Float>
    private var packedProjection: UnsafeMutablePointer<Float>
    /// CG's y·x for every packed vector, kept up to date as x moves, and its product weights.
    private var packedScore: UnsafeMutablePointer<Float>
    private var packedWeight: UnsafeMutablePointer<Float>
    /// Whether `packedScore` holds y·x for the solution just written (CG keeps it current).
    private var scoresAreCurrent = false
    private var packedCapacity = 0
    /// How many vectors of the row just solved are in `packed` (-1 when they are not there).
    private var packedRowCount = -1
    private let residual: UnsafeMutablePointer<Float>
    private let direction: UnsafeMutablePointer<Float>
    private let product: UnsafeMutablePointer<Float>
    private var nnls: NonNegativeLeastSquares?
    /// The next row's columns, requested from memory a slice at a time while this row computes.
    private var upcoming: UnsafeBufferPointer<UInt32>?
    /// How many of `upcoming`'s vectors have been requested so far.
    private var upcomingRequested = 0
    private let inverseDiagonal: UnsafeMutablePointer<Double>
    // A long row's system in Float, its weighted vectors, and a correction to its solution.
    private let floatSystem: UnsafeMutablePointer<Float>
    private let floatGathered: UnsafeMutablePointer<Float>
    private let correction: UnsafeMutablePointer<Float>
    private let rootInverseDiagonal: UnsafeMutablePointer<Double>
    // The Woodbury system of a short row: its scaled vectors, m×m matrix, right-hand side and
    // inverse confidences; grown on demand up to `woodburyRowLimit` rows.
    private var woodburyRows: UnsafeMutablePointer<Double>
    private var woodburyMatrix: UnsafeMutablePointer<Double>
    private var woodburyRhs: UnsafeMutablePointer<Double>
    private var inverseConfidence: UnsafeMutablePointer<Double>
    private var woodburyCapacity = 0
    /// Rows with fewer weighted observations than k are solved through the m×m Woodbury system
    /// (m²k/2 + m³/6 multiply-adds against mk²/2 + k³/6 for the k×k one), up to this many,
    /// beyond which the m×m scratch space would grow too large for very high ranks.
    static let woodburyRowLimit = 256
    /// Rows are gathered for SYRK in blocks of this many, bounding memory for very popular items.
    private static let gatherBlock = 256
    /// Refinement passes a long row's Float factorisation is given to reach the Double solution
    /// (each gains about as many digits as the scaled system is well conditioned; on the
    /// reference workload every long row settles after one residual) before the row is
    /// assembled in Double instead.
    static let refinementLimit = 6
    /// Asks for every cache line of `matrix`'s row `row` — into L2 only with `intoL2`, for data
    /// wanted a little later, so that it does not push what is being worked on out of L1.
    @inline(__always) private static func prefetchRow(_ matrix: DenseMatrix, _ row: Int, intoL2: Bool = false) {
        let start = UnsafeRawPointer(matrix.row(row))
        for offset in stride(from: 0, to: matrix.columns * 4, by: 64) {
            if intoL2 { encore_prefetch_l2(start + offset) } else { encore_prefetch(start + offset) }
        }
    }

    /// At most this many of the next row's vectors are requested while the current row computes
    /// (256 KiB at k = 64, a quarter of L2); the rest its own gather fetches as it copies.
    private static let upcomingPrefetchLimit = 1024

    /// A workspace for rank-`k` rows solved as `configuration` says.
    package init(k: Int, configuration: ALSConfiguration) {
        self.k = k
        self.configuration = configuration
        a = .allocateCacheAligned(capacity: k * k)
        b = .allocateCacheAligned(capacity: k)
        solution = .allocateCacheAligned(capacity: k)
        scratch = .allocateCacheAligned(capacity: k)
        gathered = .allocateCacheAligned(capacity: RowSolver.gatherBlock * k)
        packed = .allocateCacheAligned(capacity: 1)
        packedConfidence = .allocateCacheAligned(capacity: 1)
        packedProjection = .allocateCacheAligned(capacity: 1)
        packedScore = .allocateCacheAligned(capacity: 1)
        packedWeight = .allocateCacheAligned(capacity: 1)
        residual = .allocateCacheAligned(capacity: k)
        direction = .allocateCacheAligned(capacity: k)
        product = .allocateCacheAligned(capacity: k)
        nnls = configuration.nonnegative ? NonNegativeLeastSquares(k: k) : nil
        inverseDiagonal = .allocateCacheAligned(capacity: k)
        floatSystem = .allocateCacheAligned(capacity: k * k)
        floatGathered = .allocateCacheAligned(capacity: RowSolver.gatherBlock * k)
        correction = .allocateCacheAligned(capacity: k)
        rootInverseDiagonal = .allocateCacheAligned(capacity: k)
        woodburyRows = .allocateCacheAligned(capacity: 1)
        woodburyMatrix = .allocateCacheAligned(capacity: 1)
        woodburyRhs = .allocateCacheAligned(capacity: 1)
        inverseConfidence = .allocateCacheAligned(capacity: 1)
    }

    deinit {
        for pointer in [a, b, solution, scratch, gathered, inverseDiagonal, rootInverseDiagonal] { pointer.deallocate() }
        for pointer in [woodburyRows, woodburyMatrix, woodburyRhs, inverseConfidence] { pointer.deallocate() }
        for pointer in [packed, packedConfidence, packedProjection, packedScore, packedWeight] { pointer.deallocate() }
        for pointer in [residual, direction, product, floatSystem, floatGathered, correction] { pointer.deallocate() }
    }

    /// Solves one row in place into `target` (k values, warm start for CG). `columns`/`values`
    /// are the row's observed entries; `source` holds the other side's factors, in the basis
    /// `gram` is given in. `confidences`, if given, are the row's confidences minus one,
    /// computed once for the whole training rather than per half-step. `upcoming` are the
    /// columns of the row to be solved next: their vectors are requested from memory while this
    /// row computes, so that fetching them overlaps its arithmetic. Returns false
    /// if the result is not finite.
    func solve(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences: UnsafePointer<Float>? = nil,
        source: DenseMatrix, gram: Gram, target: UnsafeMutablePointer<Float>, upcoming: UnsafeBufferPointer<UInt32>? = nil,
        forceCholesky: Bool = false
    ) -> Bool {
        packedRowCount = -1
        scoresAreCurrent = false
        self.upcoming = upcoming
        upcomingRequested = 0
        if configuration.solver == .cg && !forceCholesky {
            conjugateGradient(columns: columns, values: values, confidences: confidences, source: source, gram: gram, x: target)
        } else {
            exact(columns: columns, values: values, confidences: confidences, source: source, gram: gram, x: target)
        }
        for j in 0..<k where !target[j].isFinite { return false }
        return true
    }

    /// The share of the objective of the row just solved (its `values`), with its new vector `x`:
    /// xᵀGx + Σ_observed [c (p − s)² − s²] + λ s_u ‖x‖², with s = x·y. Every solve packs the
    /// row's vectors and confidences, so this reads them from there, while they are in cache,
    /// rather than gather them again; after CG, which keeps every y·x current as it steps, it
    /// reads no vector at all. Every term is the same in any orthonormal basis.
    func objectiveTerm(values: UnsafeBufferPointer<Float>, gram: Gram, x: UnsafePointer<Float>) -> Double {
        precondition(packedRowCount == values.count, "objectiveTerm follows the solve of the same row")
        let k = self.k
        multiply(gram, x, plus: 0, into: product)
        let quadratic = Double(VectorKernels.dot(x, product, k))
        var observed = 0.0
        var positives = 0
        let scores = scoresAreCurrent ? packedScore : packedProjection
        if !scoresAreCurrent { VectorKernels.rowDots(packed, count: values.count, length: k, x, into: scores) }
        for p in 0..<values.count {
            let r = values[p]
            let s = Double(scores[p])
            let c = 1 + Double(packedConfidence[p])
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

    /// out = (G + ridge·I) v.
    @inline(__always) private func multiply(_ gram: Gram, _ v: UnsafePointer<Float>, plus ridge: Float, into out: UnsafeMutablePointer<Float>) {
        if gram.isDiagonal {
            for i in 0..<k { out[i] = (gram.float[i] + ridge) * v[i] }
        } else {
            VectorKernels.symmetricMultiply(gram.float, v, plus: ridge, times: v, into: out, k)
        }
    }

    /// Copies the row's `columns.count` vectors from `source` into `packed`, one after another,
    /// and their confidences minus one (copied from `confidences` if given) into
    /// `packedConfidence`, so every later pass over them runs from cache. Returns the row's
    /// count of r > 0. With `scoring`, also writes each vector's dot product with it into
    /// `packedScore`, computed from the copy in registers while the gather waits on memory.
    private func pack(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences: UnsafePointer<Float>?, from source: DenseMatrix,
        scoring x: UnsafePointer<Float>? = nil
    ) -> Int {
        let k = self.k, n = columns.count
        let alpha = configuration.alpha, epsilon = configuration.epsilon, confidence = configuration.confidence
        if packedCapacity < n {
            packed.deallocate()
            packedConfidence.deallocate()
            packedProjection.deallocate()
            packedScore.deallocate()
            packedWeight.deallocate()
            packedCapacity = max(n, 2 * packedCapacity)
            packed = .allocateCacheAligned(capacity: packedCapacity * k)
            packedConfidence = .allocateCacheAligned(capacity: packedCapacity)
            packedProjection = .allocateCacheAligned(capacity: packedCapacity)
            packedScore = .allocateCacheAligned(capacity: packedCapacity)
            packedWeight = .allocateCacheAligned(capacity: packedCapacity)
        }
        packedRowCount = n
        encore_pack_rows(UnsafeRawPointer(source.row(0)).assumingMemoryBound(to: CChar.self), source.stride * 4, k, columns.baseAddress, n,
                         packed, x, packedScore, confidences, packedConfidence)
        var positives = 0
        for p in 0..<n where values[p] > 0 { positives += 1 }
        if confidences == nil {
            for p in 0..<n { packedConfidence[p] = confidence.confidenceMinusOne(values[p], alpha: alpha, epsilon: epsilon) }
        }
        return positives
    }

    /// Requests up to `count` more of the next row's vectors into L2. Spread over the current
    /// row's arithmetic, so that fetching the next row overlaps it instead of arriving in one
    /// burst that the memory system serves while the core waits anyway.
    @inline(__always) private func requestUpcoming(_ count: Int, from source: DenseMatrix) {
        guard let upcoming else { return }
        let end = min(upcoming.count, RowSolver.upcomingPrefetchLimit, upcomingRequested + count)
        while upcomingRequested < end {
            RowSolver.prefetchRow(source, Int(upcoming[upcomingRequested]), intoL2: true)
            upcomingRequested += 1
        }
    }

    /// The exact solve, to Double precision. With G diagonal, a row with m < k weighted vectors
    /// goes through the Woodbury identity and a longer one through a Float factorisation refined
    /// against Double residuals; otherwise (NNLS, or either declining) the k×k system is
    /// assembled in Double by SYRK from the packed vectors and factorised.
    private func exact(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences: UnsafePointer<Float>?,
        source: DenseMatrix, gram: Gram, x: UnsafeMutablePointer<Float>
    ) {
        let k = self.k, n = columns.count
        let positives = pack(columns: columns, values: values, confidences: confidences, from: source)
        requestUpcoming(RowSolver.upcomingPrefetchLimit, from: source)
        // b = Σ_{r>0} c y.
        let weighted = encore_right_hand_side(k, n, packed, packedConfidence, values.baseAddress, b)
        if (0..<k).allSatisfy({ b[$0] == 0 }) {
            // No positive observation: the minimiser is the zero vector, whatever A is.
            x.update(repeating: 0, count: k)
            return
        }
        let ridge = Double(lambda(positives: positives))
        func solvedInEigenbasis() -> Bool {
            guard gram.isDiagonal && nnls == nil else { return false }
            if weighted < min(k, RowSolver.woodburyRowLimit) && solveByWoodbury(count: n, weighted: weighted, diagonal: gram.double, ridge: ridge) {
                return true
            }
            return solveByRefinement(count: n, diagonal: gram.double, ridge: ridge)
        }
        if !solvedInEigenbasis() {
            assemble(count: n, gram: gram, ridge: ridge)
            solveAssembledSystem { assemble(count: n, gram: gram, ridge: ridge) }
        }
        for j in 0..<k { x[j] = Float(solution[j]) }
    }

    /// Fills `a`'s upper triangle with G + λs I + Σ c1 y yᵀ over the packed vectors.
    private func assemble(count n: Int, gram: Gram, ridge: Double) {
        let k = self.k
        if gram.isDiagonal {
            a.update(repeating: 0, count: k * k)
            for j in 0..<k { a[j * k + j] = gram.double[j] + ridge }
        } else {
            a.update(from: gram.double, count: k * k)
            for j in 0..<k { a[j * k + j] += ridge }
        }
        addWeightedGram(count: n, through: gathered, into: a, BLAS.addGram(_:rows:k:into:))
    }

    /// Adds Σ c1 y yᵀ over the packed vectors with c1 > 0 into `system` (upper triangle): the
    /// vectors, scaled by √c1 and converted to `T`, go through `buffer` a `gatherBlock` at a time
    /// into `addGram` (SYRK in Float or Double).
    private func addWeightedGram<T: BinaryFloatingPoint>(
        count n: Int, through buffer: UnsafeMutablePointer<T>, into system: UnsafeMutablePointer<T>,
        _ addGram: (UnsafePointer<T>, Int, Int, UnsafeMutablePointer<T>) -> Void
    ) {
        let k = self.k
        var filled = 0
        for p in 0..<n where packedConfidence[p] > 0 {
            let scale = T(packedConfidence[p]).squareRoot(), y = packed + p * k, row = buffer + filled * k
            for j in 0..<k { row[j] = scale * T(y[j]) }
            filled += 1
            if filled == RowSolver.gatherBlock {
                addGram(buffer, filled, k, system)
                filled = 0
            }
        }
        addGram(buffer, filled, k, system)
    }

    /// Solves the system in `a` (upper triangle, ridge included) and `b` into `solution`: by
    /// NNLS when configured, else by Cholesky. If A is not positive definite (λ = 0 and fewer
    /// observations than factors), `restore` rebuilds it and a small ridge relative to its
    /// diagonal is added rather than emit NaN.
    private func solveAssembledSystem(restore: () -> Void) {
        let k = self.k
        func fillLowerTriangle() {
            for i in 0..<k { for j in (i + 1)..<max(i + 1, k) { a[j * k + i] = a[i * k + j] } }
        }
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

    /// The Woodbury solve of a short row into `solution`, with G = `diagonal` (Λ):
    /// (M + Vᵀ C V)⁻¹ b = z − D Vᵀ (C⁻¹ + V D Vᵀ)⁻¹ V z with M = Λ + λs I, D = M⁻¹, z = D b —
    /// an m×m Cholesky (CEncoreKernels' `woodburySolve`). Returns false (leaving the row to the k×k solve) when M is too close to
    /// singular to divide by, or the m×m system is not numerically positive definite.
    private func solveByWoodbury(count n: Int, weighted m: Int, diagonal: UnsafePointer<Double>, ridge: Double) -> Bool {
        let k = self.k
        var smallest = Double.infinity, largest = 0.0
        for j in 0..<k {
            smallest = min(smallest, diagonal[j] + ridge)
            largest = max(largest, diagonal[j] + ridge)
        }
        guard smallest > 1e-8 * largest else { return false }
        if woodburyCapacity < m {
            for pointer in [woodburyRows, woodburyMatrix, woodburyRhs, inverseConfidence] { pointer.deallocate() }
            woodburyCapacity = max(m, min(2 * woodburyCapacity, RowSolver.woodburyRowLimit))
            woodburyRows = .allocateCacheAligned(capacity: woodburyCapacity * k)
            woodburyMatrix = .allocateCacheAligned(capacity: woodburyCapacity * woodburyCapacity)
            woodburyRhs = .allocateCacheAligned(capacity: woodburyCapacity)
            inverseConfidence = .allocateCacheAligned(capacity: woodburyCapacity)
        }
        for j in 0..<k {
            inverseDiagonal[j] = 1 / (diagonal[j] + ridge)
            rootInverseDiagonal[j] = inverseDiagonal[j].squareRoot()
        }
        var system = EncoreWoodbury(
            k: k, n: n, packed: packed, c1: packedConfidence, inverseDiagonal: inverseDiagonal, rootInverseDiagonal: rootInverseDiagonal,
            b: b, solution: solution, scratch: scratch, rows: woodburyRows, matrix: woodburyMatrix, rhs: woodburyRhs,
            inverseConfidence: inverseConfidence)
        return encore_woodbury_solve(&system) != 0
    }

    /// The solve of a long row into `solution`, with G = `diagonal` (Λ): A = Λ + λs I + Σ c1 y yᵀ
    /// is assembled and factorised in Float — SYRK and Cholesky at twice their Double rate —
    /// and the solution refined against A x = b evaluated in Double from the packed vectors
    /// (2mk multiply-adds a pass, against mk²/2 to assemble A in Double), until a correction no
    /// longer moves it at Float precision. The answer is the Double system's to the precision
    /// the factors are stored in. Returns false, leaving the row to the Double assembly, when
    /// the Float factorisation fails or the refinement has not settled after `refinementLimit`.
    private func solveByRefinement(count n: Int, diagonal: UnsafePointer<Double>, ridge: Double) -> Bool {
        let k = self.k
        floatSystem.update(repeating: 0, count: k * k)
        for j in 0..<k { floatSystem[j * k + j] = Float(diagonal[j] + ridge) }
        addWeightedGram(count: n, through: floatGathered, into: floatSystem, BLAS.addGram(_:rows:k:into:))
        guard BLAS.factorPositiveDefinite(floatSystem, k: k) else { return false }
        // x = 0, so the first residual is b.
        solution.update(repeating: 0, count: k)
        scratch.update(from: b, count: k)
        var previousStep = 0.0
        for pass in 0..<RowSolver.refinementLimit {
            for j in 0..<k { correction[j] = Float(scratch[j]) }
            BLAS.solveFactored(floatSystem, correction, k: k)
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
            VectorKernels.residual(b, diagonal: diagonal, ridge: ridge, rows: packed, weights: packedConfidence, count: n, length: k,
                                   solution, into: scratch)
        }
        return false
    }

    /// Solves a row whose normal equations were assembled elsewhere — in distributed training,
    /// summed from partial sums shipped by several processes: `matrix` is G + Σ c1 y yᵀ (k×k,
    /// full, without the ridge), `rhs` is Σ c p y, `positives` the row's count of r > 0. The ridge
    /// is added here; Cholesky (or NNLS) solves exactly, CG takes the configured steps on the
    /// dense system, warm-started from `x`. Returns false if the result is not finite.
    package func solveNormalEquations(
        matrix: UnsafePointer<Double>, rhs: UnsafePointer<Double>, positives: Int, x: UnsafeMutablePointer<Float>
    ) -> Bool {
        let k = self.k, ridge = Double(lambda(positives: positives))
        func restore() {
            a.update(from: matrix, count: k * k)
            for j in 0..<k { a[j * k + j] += ridge }
        }
        restore()
        b.update(from: rhs, count: k)
        if configuration.solver == .cg {
            denseConjugateGradient(x: x)
        } else if (0..<k).allSatisfy({ b[$0] == 0 }) {
            // No positive observation: the minimiser is the zero vector, whatever A is.
            x.update(repeating: 0, count: k)
        } else {
            solveAssembledSystem(restore: restore)
            for j in 0..<k { x[j] = Float(solution[j]) }
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

    /// A few CG steps on the row's system, warm-started from `x`, products taken with the
    /// row's vectors packed once (the steps are CEncoreKernels' `conjugateGradient`, compiled
    /// for this CPU). Every y·x is kept current as x moves (s += step·y·d), for the residual's
    /// first product and the objective.
    private func conjugateGradient(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences: UnsafePointer<Float>?,
        source: DenseMatrix, gram: Gram, x: UnsafeMutablePointer<Float>
    ) {
        let positives = pack(columns: columns, values: values, confidences: confidences, from: source, scoring: x)
        scoresAreCurrent = true
        var row = EncoreCGRow(
            k: k, n: columns.count, steps: configuration.cgSteps, packed: packed, c1: packedConfidence, values: values.baseAddress,
            score: packedScore, q: packedProjection, w: packedWeight, r: residual, d: direction, ap: product,
            gram: gram.float, gramIsDiagonal: gram.isDiagonal ? 1 : 0, ridge: lambda(positives: positives),
            source: UnsafeRawPointer(source.row(0)).assumingMemoryBound(to: CChar.self), rowBytes: source.stride * 4,
            lineBytes: source.columns * 4, upcoming: upcoming?.baseAddress,
            upcomingCount: min(upcoming?.count ?? 0, RowSolver.upcomingPrefetchLimit), upcomingRequested: 0)
        encore_conjugate_gradient(&row, x)
    }
}
