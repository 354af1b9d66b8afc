import Encore

/// The model flags shared by `train`, `evaluate` and `tune`; defaults are Spark's.
package struct ModelOptions {
    /// The hyperparameters from the flags.
    package var configuration = ALSConfiguration()
    /// Threads from --threads (default: every core).
    package var threads = Parallel.defaultThreadCount

    /// The flags' help text.
    package static let help = """
      Model options (defaults are Spark's ALS(implicitPrefs=True)):
        --factors K                    latent dimension (default 10)
        --iterations N                 ALS iterations (default 10)
        --regularization L             λ (default 0.1)
        --alpha A                      confidence scale α (default 1.0)
        --confidence linear|log        c = 1 + α·r, or c = 1 + α·log(1 + r/ε) (default linear)
        --epsilon E                    ε of the log confidence (default 1)
        --regularization-scaling spark|flat
                                       λ·n per row (Spark) or λ (implicit) (default spark)
        --solver cholesky|cg           exact solve or conjugate gradient (default cholesky)
        --cg-steps N                   CG steps per row (default 3)
        --nonnegative                  constrain factors to be ≥ 0 (Spark's option)
        --seed N                       random seed (default 0); same seed, same model
        --threads N                    threads (default: every core); results do not depend on it
    """

    /// Takes the model flags out of `arguments`.
    package init(_ arguments: CommandLineArguments) throws {
        var c = ALSConfiguration()
        c.factors = try arguments.int("--factors", default: c.factors, in: 1...4096)
        c.iterations = try arguments.int("--iterations", default: c.iterations, in: 0...100_000)
        c.regularization = try arguments.float("--regularization", default: c.regularization, in: .atLeast(0))
        c.alpha = try arguments.float("--alpha", default: c.alpha, in: .atLeast(0))
        c.confidence = try arguments.choice("--confidence", default: c.confidence)
        c.epsilon = try arguments.float("--epsilon", default: c.epsilon, in: .above(0))
        c.regularizationScaling = try arguments.choice("--regularization-scaling", default: c.regularizationScaling)
        c.solver = try arguments.choice("--solver", default: c.solver)
        c.cgSteps = try arguments.int("--cg-steps", default: c.cgSteps, in: 1...1000)
        c.nonnegative = try arguments.flag("--nonnegative")
        if let seed = try arguments.value("--seed") {
            guard let value = UInt64(seed) else { throw UsageError("--seed must be a whole number ≥ 0 (got '\(seed)')") }
            c.seed = value
        }
        if c.nonnegative && c.solver == .cg { throw UsageError("--nonnegative needs --solver cholesky (the non-negative solve is exact)") }
        threads = try arguments.int("--threads", default: threads, in: 1...1024)
        try ParameterFlags.validate(c)
        configuration = c
    }
}
