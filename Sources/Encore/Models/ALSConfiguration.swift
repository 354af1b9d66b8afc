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
    /// Flat or Spark's per-row scaling of λ.
    public var regularizationScaling: RegularizationScaling = .spark
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
        try check(!(nonnegative && solver == .cg), "solver", solver.rawValue, "be cholesky when nonnegative is set (the non-negative solve is exact)")
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
