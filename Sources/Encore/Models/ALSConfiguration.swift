/// How λ is scaled per row: Spark multiplies it by the row's number of positive entries.
public enum RegularizationScaling: String, Codable, Sendable, CaseIterable {
    /// λ·n_u per user and λ·n_i per item (Spark MLlib).
    case spark
    /// λ for every row (the `implicit` library).
    case flat
}

/// How each row's normal equations are solved.
public enum ALSSolverKind: String, Codable, Sendable, CaseIterable {
    /// Exact solve by Cholesky factorisation, accumulated in Double (Spark's way).
    case cholesky
    /// A few conjugate-gradient steps warm-started from the previous vector (Takács et al. 2011).
    case cg
    /// Exact block coordinate steps over blocks of `blockSize` dimensions, one sweep per row and
    /// half-step, warm-started from the previous vector (iALS++, Rendle et al. 2021, arXiv
    /// 2110.14044): a row of n observations costs about n·k·B + k² instead of k³.
    case subspace
}

/// Every hyperparameter of implicit ALS. The defaults are chosen for good top-N lists from raw
/// play counts, measured on several logs (docs/quality.md); `sparkDefaults` is Spark's
/// `ALS(implicitPrefs=True)`.
public struct ALSConfiguration: Codable, Equatable, Sendable {
    /// Latent dimension k.
    public var factors = 64
    /// Number of full iterations (items then users).
    public var iterations = 15
    /// λ.
    public var regularization: Float = 0.6
    /// α in c = 1 + α·g(r).
    public var alpha: Float = 2.0
    /// g in c = 1 + α·g(r).
    public var confidence: ConfidenceFunction = .log
    /// ε in g(r) = log(1 + r/ε).
    public var epsilon: Float = 1.0
    /// Flat or Spark's per-row scaling of λ: the exponent ν = 0 or 1 when `regularizationExponent` is nil.
    public var regularizationScaling: RegularizationScaling = .spark
    /// ν of Rendle's frequency-scaled regularization: row weight (n + α₀·N)^ν, n the row's
    /// positive entries, N the other side's row count. Nil takes ν from `regularizationScaling`
    /// (spark 1, flat 0).
    public var regularizationExponent: Float?
    /// α₀, Rendle's weight on every pair's squared score (Rendle et al., RecSys 2022): added to
    /// Hu–Koren's objective, so an unobserved pair weighs 1 + α₀ and G = YᵀY becomes (1 + α₀)·G.
    /// 0 is the classic model. See DESIGN.md, "The model, exactly".
    public var unobservedWeight: Float = 0
    /// The initial vectors' length (Spark's unit vectors times this).
    public var initialScale: Float = 1
    /// Dimensions per block of the subspace solver (with `.subspace`). 16 was fastest of 8–128
    /// at k = 512 on both logs of docs/quality.md.
    public var blockSize = 16
    /// Row solver.
    public var solver: ALSSolverKind = .cg
    /// Conjugate-gradient steps per row and half-step (with `.cg`).
    public var cgSteps = 3
    /// Constrain factors to be non-negative (Spark's `nonnegative`), solved by NNLS.
    public var nonnegative = false
    /// Seed of the initial factors; the same seed gives the same model for any thread count.
    public var seed: UInt64 = 0

    /// Encore's defaults (see the properties).
    public init() {}

    /// The exponent ν in force: `regularizationExponent`, else 1 for Spark's scaling, 0 for flat.
    public var effectiveRegularizationExponent: Float {
        regularizationExponent ?? (regularizationScaling == .spark ? 1 : 0)
    }

    /// Reads a configuration, taking the defaults for settings added since it was written (a
    /// model file or checkpoint from an earlier Encore has no `unobservedWeight`, say).
    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ALSConfiguration()
        func read<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try values.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        factors = try read(.factors, defaults.factors)
        iterations = try read(.iterations, defaults.iterations)
        regularization = try read(.regularization, defaults.regularization)
        alpha = try read(.alpha, defaults.alpha)
        confidence = try read(.confidence, defaults.confidence)
        epsilon = try read(.epsilon, defaults.epsilon)
        regularizationScaling = try read(.regularizationScaling, defaults.regularizationScaling)
        regularizationExponent = try values.decodeIfPresent(Float.self, forKey: .regularizationExponent)
        unobservedWeight = try read(.unobservedWeight, defaults.unobservedWeight)
        initialScale = try read(.initialScale, defaults.initialScale)
        blockSize = try read(.blockSize, defaults.blockSize)
        solver = try read(.solver, defaults.solver)
        cgSteps = try read(.cgSteps, defaults.cgSteps)
        nonnegative = try read(.nonnegative, defaults.nonnegative)
        seed = try read(.seed, defaults.seed)
    }

    /// Spark MLlib's `ALS(implicitPrefs=True)` defaults: rank 10, 10 iterations, λ 0.1 scaled by each row's count, α 1, linear confidence, exact solve.
    public static let sparkDefaults: ALSConfiguration = {
        var c = ALSConfiguration()
        c.factors = 10
        c.iterations = 10
        c.regularization = 0.1
        c.alpha = 1.0
        c.confidence = .linear
        c.epsilon = 1.0
        c.regularizationScaling = .spark
        c.solver = .cholesky
        c.cgSteps = 3
        c.nonnegative = false
        return c
    }()

    /// Checks every setting, throwing `EncoreError.invalidParameter` for the first that no model
    /// can be trained with, e.g. "factors must be between 1 and 4096 (got 0)".
    public func validate() throws {
        func check(_ condition: Bool, _ name: String, _ value: Any, _ requirement: String) throws {
            if !condition { throw EncoreError.invalidParameter(name: name, value: "\(value)", requirement: requirement) }
        }
        try check(factors >= 1 && factors <= 4096, "factors", factors, "be between 1 and 4096")
        try check(iterations >= 0, "iterations", iterations, "not be negative")
        try check(regularization.isFinite && regularization >= 0, "regularization", regularization, "be a finite number ≥ 0")
        try check(alpha.isFinite && alpha >= 0, "alpha", alpha, "be a finite number ≥ 0")
        try check(epsilon.isFinite && epsilon > 0, "epsilon", epsilon, "be a finite number > 0")
        try check(cgSteps >= 1, "cgSteps", cgSteps, "be at least 1")
        if let exponent = regularizationExponent {
            try check(exponent.isFinite && exponent >= 0 && exponent <= 4, "regularizationExponent", exponent, "be between 0 and 4")
        }
        try check(unobservedWeight.isFinite && unobservedWeight >= 0, "unobservedWeight", unobservedWeight, "be a finite number ≥ 0")
        try check(initialScale.isFinite && initialScale > 0, "initialScale", initialScale, "be a finite number > 0")
        try check(blockSize >= 1 && blockSize <= 4096, "blockSize", blockSize, "be between 1 and 4096")
        try check(!nonnegative || solver == .cholesky, "solver", solver.rawValue, "be cholesky when nonnegative is set (the non-negative solve is exact)")
    }
}

/// What one training iteration reports to the caller's progress callback.
package struct ALSIterationReport: @unchecked Sendable {
    /// 1-based iteration number.
    package var iteration: Int
    /// The full objective after this iteration (see DESIGN.md, "The model, exactly").
    package var loss: Double
    /// Wall-clock seconds this iteration took, loss included.
    package var seconds: Double
    /// Training keeps the factors in another basis between iterations and forms them only when
    /// asked: the first of `userFactors` and `itemFactors` asked for forms both.
    private let factors: ReportedFactors

    /// A report whose factors `makeFactors` forms (users, items) when first asked for.
    package init(iteration: Int, loss: Double, seconds: Double, makeFactors: @escaping () -> (DenseMatrix, DenseMatrix)) {
        self.iteration = iteration
        self.loss = loss
        self.seconds = seconds
        factors = ReportedFactors(make: makeFactors)
    }

    /// The user factors after this iteration. Ask during the callback: training goes on after
    /// it returns, and factors first asked for later would be those of a later iteration.
    package var userFactors: DenseMatrix { factors.pair.users }
    /// The item factors after this iteration (same caveat as `userFactors`).
    package var itemFactors: DenseMatrix { factors.pair.items }
}

/// The factors of one report, formed once, on first use.
private final class ReportedFactors {
    private let make: () -> (DenseMatrix, DenseMatrix)
    lazy var pair: (users: DenseMatrix, items: DenseMatrix) = make()
    init(make: @escaping () -> (DenseMatrix, DenseMatrix)) { self.make = make }
}
