import CEncoreKernels
import Foundation

/// The solver core: one thread's solver of rows' normal equations
/// `(G + Σ_i c₁_i y_i y_iᵀ + λ s I) x = Σ_i c_i p_i y_i`, with G = YᵀY shared by every row, by
/// every path there is — CG over the packed row, the exact solve (Woodbury for a short row,
/// Float refinement for a long one, Double assembly with a ridge fallback, NNLS), and, for a
/// system summed from pieces elsewhere (distributed training), Cholesky, NNLS or CG on the dense
/// system. The arithmetic the paths share (right-hand side, weighted SYRK, λ·s, objective) is
/// `NormalEquations`'; the scratch space is held by one small type per path, each freeing its own.
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
    /// The arithmetic every path shares.
    let equations: NormalEquations
    private var configuration: ALSConfiguration { equations.configuration }
    private let row: PackedRow
    private let cg: ConjugateGradientScratch
    private let system: DoubleSystem
    private let woodbury: WoodburySolve
    private let refinement: FloatRefinement
    private var nnls: NonNegativeLeastSquares?
    /// Where the half-step decodes a coded row's confidences before handing them to `solve`
    /// (`UnsafeTrainingRows.entries`): one per thread, like the rest of the scratch space.
    let confidenceScratch = ConfidenceScratch()
    /// The next row's columns, requested from memory a slice at a time while this row computes.
    private var upcoming: UnsafeBufferPointer<UInt32>?
    /// How many of `upcoming`'s vectors have been requested so far.
    private var upcomingRequested = 0
    /// At most this many of the next row's vectors are requested while the current row computes
    /// (256 KiB at k = 64, a quarter of L2); the rest its own gather fetches as it copies.
    private static let upcomingPrefetchLimit = 1024

    /// A workspace for rank-`k` rows solved as `configuration` says, against an other side of
    /// `otherSide` rows (N of the row weight (n + α₀·N)^ν; unused while α₀ = 0).
    /// `streamingThreshold`: the row length beyond which CG gathers a row's vectors block by
    /// block rather than copying them whole (see PackedRow; tests lower it).
    package init(k: Int, configuration: ALSConfiguration, otherSide: Int = 0, streamingThreshold: Int = 1 << 18) {
        self.k = k
        equations = NormalEquations(k: k, configuration: configuration, otherSide: otherSide)
        row = PackedRow(k: k, streamingThreshold: streamingThreshold)
        cg = ConjugateGradientScratch(k: k)
        system = DoubleSystem(k: k)
        woodbury = WoodburySolve(k: k)
        refinement = FloatRefinement(k: k)
        nnls = configuration.nonnegative ? NonNegativeLeastSquares(k: k) : nil
    }

    /// Solves one row in place into `target` (k values, warm start for CG). `columns`/`values`
    /// are the row's observed entries; `source` holds the other side's factors, in the basis
    /// `gram` is given in. `confidences`, if given, are the row's confidences minus one,
    /// computed once for the whole training rather than per half-step. `upcoming` are the
    /// columns of the row to be solved next: their vectors are requested from memory while this
    /// row computes, so that fetching them overlaps its arithmetic. `forceExact` takes the exact
    /// path whatever the configured solver; so does the subspace solver, whose block steps are
    /// taken a half-step at a time (`ImplicitALS.subspaceHalfStep`), not a row at a time. Returns nil if the result is not finite; else the
    /// row's share of the objective with `withObjective` (computed from the row's vectors while
    /// they are still packed and in cache; every term is the same in any orthonormal basis), 0
    /// without.
    func solve(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences: UnsafePointer<Float>? = nil,
        source: DenseMatrix, gram: Gram, target: UnsafeMutablePointer<Float>, upcoming: UnsafeBufferPointer<UInt32>? = nil,
        forceExact: Bool = false, withObjective: Bool = false
    ) -> Double? {
        self.upcoming = upcoming
        upcomingRequested = 0
        let iterative = configuration.solver == .cg && !forceExact
        if iterative {
            conjugateGradient(columns: columns, values: values, confidences: confidences, source: source, gram: gram, x: target)
        } else {
            exact(columns: columns, values: values, confidences: confidences, source: source, gram: gram, x: target)
        }
        guard VectorKernels.allFinite(target, k) else { return nil }
        guard withObjective else { return 0 }
        // CG keeps every y·x current as it steps, so after it the objective reads no vector.
        let scores = iterative ? UnsafePointer(row.scores) : row.project(count: values.count, target)
        multiply(gram, target, into: cg.product)
        return equations.objectiveTerm(
            quadratic: Double(VectorKernels.dot(target, cg.product, k)), values: values, scores: scores, confidences: row.confidences,
            normSquared: VectorKernels.dot(target, target, k))
    }

    /// out = G v.
    @inline(__always) private func multiply(_ gram: Gram, _ v: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        if gram.isDiagonal {
            for i in 0..<k { out[i] = gram.float[i] * v[i] }
        } else {
            VectorKernels.symmetricMultiply(gram.float, v, plus: 0, times: v, into: out, k)
        }
    }

    /// Requests up to `count` more of the next row's vectors into L2. Spread over the current
    /// row's arithmetic, so that fetching the next row overlaps it instead of arriving in one
    /// burst that the memory system serves while the core waits anyway.
    @inline(__always) private func requestUpcoming(_ count: Int, from source: DenseMatrix) {
        guard let upcoming else { return }
        let end = min(upcoming.count, RowSolver.upcomingPrefetchLimit, upcomingRequested + count)
        while upcomingRequested < end {
            let start = UnsafeRawPointer(source.row(Int(upcoming[upcomingRequested])))
            for offset in stride(from: 0, to: source.columns * 4, by: 64) { encore_prefetch_l2(start + offset) }
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
        let n = columns.count
        let positives = row.pack(columns: columns, values: values, confidences: confidences, from: source, equations: equations)
        requestUpcoming(RowSolver.upcomingPrefetchLimit, from: source)
        let weighted = equations.rightHandSide(of: row, values: values, into: system.b)
        if system.rightHandSideIsZero {
            x.update(repeating: 0, count: k)
            return
        }
        let ridge = Double(equations.ridge(positives: positives))
        func solvedInEigenbasis() -> Bool {
            guard gram.isDiagonal && nnls == nil else { return false }
            if woodbury.accepts(weighted: weighted)
                && woodbury.solve(row, count: n, weighted: weighted, diagonal: gram.double, ridge: ridge, system: system) {
                return true
            }
            return refinement.solve(row, count: n, diagonal: gram.double, ridge: ridge, target: system, equations: equations)
        }
        if !solvedInEigenbasis() {
            system.assemble(row, count: n, gram: gram, ridge: ridge, equations: equations)
            system.solve(nnls: &nnls) { system.assemble(row, count: n, gram: gram, ridge: ridge, equations: equations) }
        }
        for j in 0..<k { x[j] = Float(system.solution[j]) }
    }

    /// A few CG steps on the row's system, warm-started from `x`, products taken with the
    /// row's vectors packed once, by the steps' first pass (the steps are CEncoreKernels'
    /// `conjugateGradient`, compiled for this CPU). Every y·x is kept current as x moves
    /// (s += step·y·d), for the residual's first product and the objective.
    private func conjugateGradient(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences: UnsafePointer<Float>?,
        source: DenseMatrix, gram: Gram, x: UnsafeMutablePointer<Float>
    ) {
        // A row too long to copy (see PackedRow) is gathered block by block on every pass instead.
        let streamed = columns.count > row.streamingThreshold
        let positives = streamed
            ? row.scalars(columns: columns, values: values, confidences: confidences, from: source, equations: equations, scoring: x)
            : row.prepareForGather(values: values, confidences: confidences, equations: equations)
        var cgRow = EncoreCGRow(
            k: k, n: columns.count, steps: configuration.cgSteps, packed: streamed ? nil : row.vectors, c1: row.confidences, values: values.baseAddress,
            score: row.scores, q: row.projections, w: row.weights, r: cg.residual, d: cg.direction, ap: cg.product,
            gram: gram.float, gramIsDiagonal: gram.isDiagonal ? 1 : 0, ridge: equations.ridge(positives: positives),
            source: UnsafeRawPointer(source.row(0)).assumingMemoryBound(to: CChar.self), rowBytes: source.stride * 4,
            lineBytes: source.columns * 4, upcoming: upcoming?.baseAddress,
            upcomingCount: min(upcoming?.count ?? 0, RowSolver.upcomingPrefetchLimit), upcomingRequested: 0,
            columns: columns.baseAddress, gathered: row.gathered, givenC1: confidences)
        encore_conjugate_gradient(&cgRow, x)
    }
}

/// Rows whose normal equations are accumulated in pieces and solved where they are summed —
/// distributed training's full gridify: each process accumulates, for a row, the part of its
/// system its own ratings give (a `NormalEquations.Record`); the row's owner sums the pieces and
/// solves. Same arithmetic as the rows solved whole, from the same `NormalEquations`.
extension RowSolver {
    /// Writes into `record` the piece of a row's system that the observations `columns`/`values`
    /// give, against `source` (whose rows `columns` index): Σ c₁ y yᵀ's upper triangle, Σ c p y
    /// and Σ c p², as `NormalEquations.Record` lays them out.
    package func accumulate(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, source: DenseMatrix, into record: UnsafeMutablePointer<Double>
    ) {
        let n = columns.count, rhs = record + NormalEquations.Record.rhsOffset(k: k)
        _ = row.pack(columns: columns, values: values, confidences: nil, from: source, equations: equations)
        _ = equations.rightHandSide(of: row, values: values, into: rhs)
        rhs[k] = equations.weightSum(of: row, values: values)
        let full = system.a
        full.update(repeating: 0, count: k * k)
        equations.addWeightedGram(of: row, count: n, through: system.gathered, into: full, BLAS.addGram(_:rows:k:into:))
        var t = 0
        for i in 0..<k {
            for l in i..<k {
                record[t] = full[i * k + l]
                t += 1
            }
        }
    }

    /// Solves a row from the sum of its pieces, `record` (`NormalEquations.Record`), and
    /// `gram` (G, k×k, full), into `x`; `values` are the row's observed weights (for λ·s). The
    /// ridge is added here; Cholesky (or NNLS) solves exactly, CG takes the configured steps on
    /// the dense system, warm-started from `x`. Returns nil if the result is not finite; else
    /// the row's share of the objective with `withObjective`, 0 without.
    package func solve(
        record: UnsafePointer<Double>, gram: UnsafePointer<Double>, values: UnsafeBufferPointer<Float>, x: UnsafeMutablePointer<Float>,
        withObjective: Bool
    ) -> Double? {
        let k = self.k, full = system.unridged, rhs = record + NormalEquations.Record.rhsOffset(k: k)
        var t = 0
        for i in 0..<k {
            for l in i..<k {
                full[i * k + l] = gram[i * k + l] + record[t]
                full[l * k + i] = gram[l * k + i] + record[t]
                t += 1
            }
        }
        let positives = PackedRow.countPositive(values)
        let ridge = Double(equations.ridge(positives: positives))
        system.restoreFromUnridged(ridge: ridge)
        system.b.update(from: rhs, count: k)
        if configuration.solver == .cg {
            system.conjugateGradient(x: x, steps: configuration.cgSteps)
        } else if system.rightHandSideIsZero {
            x.update(repeating: 0, count: k)
        } else {
            system.solve(nnls: &nnls) { system.restoreFromUnridged(ridge: ridge) }
            for j in 0..<k { x[j] = Float(system.solution[j]) }
        }
        guard VectorKernels.allFinite(x, k) else { return nil }
        guard withObjective else { return 0 }
        return equations.objectiveTerm(system: full, rhs: rhs, weightSum: rhs[k], positives: positives, x: x)
    }
}

/// G for one half-step's rows, copied once into memory that every solver reads through raw
/// pointers: Λ's k entries in the eigenbasis, or the full k×k YᵀY; in Double for the exact
/// solves and in Float for CG.
final class GramStorage: @unchecked Sendable {
    private let double: UnsafeMutablePointer<Double>
    private let float: UnsafeMutablePointer<Float>
    /// What the solvers take.
    let view: RowSolver.Gram

    /// G from `values` (k diagonal entries when `isDiagonal`, else k×k full).
    init(_ values: [Double], isDiagonal: Bool) {
        double = .allocateCacheAligned(capacity: values.count)
        float = .allocateCacheAligned(capacity: values.count)
        for (index, value) in values.enumerated() {
            double[index] = value
            float[index] = Float(value)
        }
        view = RowSolver.Gram(double: double, float: float, isDiagonal: isDiagonal)
    }

    deinit {
        double.deallocate()
        float.deallocate()
    }
}

/// Row solvers for the threads of one half-step: a chunk takes one and gives it back, so each
/// thread reuses its scratch space instead of allocating it per chunk.
package final class RowSolverPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [RowSolver] = []
    private let k: Int
    private let configuration: ALSConfiguration
    private let otherSide: Int

    /// Solvers for rank-`k` rows against an other side of `otherSide` rows (see `RowSolver.init`).
    package init(k: Int, configuration: ALSConfiguration, otherSide: Int = 0) {
        self.k = k
        self.configuration = configuration
        self.otherSide = otherSide
    }

    /// Solvers for the rows of `rows` as `configuration` trains them (the other side has
    /// `rows.columnCount` rows): what a half-step over `rows` needs.
    package convenience init(configuration: ALSConfiguration, solving rows: TrainingRows) {
        self.init(k: configuration.factors, configuration: configuration, otherSide: rows.columnCount)
    }

    package func take() -> RowSolver {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast() ?? RowSolver(k: k, configuration: configuration, otherSide: otherSide)
    }

    package func give(back solver: RowSolver) {
        lock.lock()
        idle.append(solver)
        lock.unlock()
    }
}
