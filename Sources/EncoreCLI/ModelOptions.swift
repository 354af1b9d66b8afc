import Encore

/// The model flags shared by `train`, `evaluate`, `tune` and `encore-mpi train`. The defaults are
/// `ALSConfiguration()`'s; `--spark-defaults` starts from Spark's instead.
package struct ModelOptions {
    /// The hyperparameters from the flags.
    package var configuration = ALSConfiguration()
    /// Threads from --threads (default: every core).
    package var threads = Parallel.defaultThreadCount

    /// The flags' help text, its defaults read from the two presets so it cannot drift from them.
    package static var help: String {
        let e = ALSConfiguration(), s = ALSConfiguration.sparkDefaults
        func both<T>(_ key: KeyPath<ALSConfiguration, T>) -> String {
            let (ours, spark) = ("\(e[keyPath: key])", "\(s[keyPath: key])")
            return ours == spark ? "default \(ours)" : "default \(ours); Spark's \(spark)"
        }
        return """
          Model options (the defaults give good top-N lists from raw play counts, measured in
          docs/quality.md; --spark-defaults starts from Spark's ALS(implicitPrefs=True) instead):
            --spark-defaults               Spark's defaults for every option below that is not given
            --factors K                    latent dimension (\(both(\.factors)))
            --iterations N                 ALS iterations (\(both(\.iterations)))
            --regularization L             λ (\(both(\.regularization)))
            --alpha A                      confidence scale α (\(both(\.alpha)))
            --confidence linear|log        c = 1 + α·r, or c = 1 + α·log(1 + r/ε) (\(both(\.confidence.rawValue)))
            --epsilon E                    ε of the log confidence (\(both(\.epsilon)))
            --regularization-scaling spark|flat
                                           λ·n per row (Spark) or λ (implicit) (\(both(\.regularizationScaling.rawValue)))
            --regularization-exponent V    ν: λ·(n + α₀·N)^ν per row (Rendle et al. 2022), n the row's
                                           plays, N the other side's count; overrides the scaling
                                           (spark is ν 1, flat ν 0)
            --unobserved-weight A0         α₀, weight on every pair's squared score: an unobserved
                                           pair weighs 1 + α₀ (default \(e.unobservedWeight))
            --init-scale S                 length of the initial vectors (default \(e.initialScale))
            --solver cholesky|cg|subspace  exact solve, conjugate gradient, or iALS++ block steps (\(both(\.solver.rawValue)))
            --cg-steps N                   CG steps per row (default \(e.cgSteps))
            --block-size B                 dimensions per block of the subspace solver (default \(e.blockSize))
            --nonnegative                  constrain factors to be ≥ 0 (Spark's option; solved by cholesky)
            --seed N                       random seed (default \(e.seed)); same seed, same model
            --threads N                    threads (default: every core); results do not depend on it
        """
    }

    /// Takes the model flags out of `arguments`.
    package init(_ arguments: CommandLineArguments) throws {
        var c = try arguments.flag("--spark-defaults") ? ALSConfiguration.sparkDefaults : ALSConfiguration()
        c.factors = try arguments.int("--factors", default: c.factors, in: 1...4096)
        c.iterations = try arguments.int("--iterations", default: c.iterations, in: 0...100_000)
        c.regularization = try arguments.float("--regularization", default: c.regularization, in: .atLeast(0))
        c.alpha = try arguments.float("--alpha", default: c.alpha, in: .atLeast(0))
        c.confidence = try arguments.choice("--confidence", default: c.confidence)
        c.epsilon = try arguments.float("--epsilon", default: c.epsilon, in: .above(0))
        c.regularizationScaling = try arguments.choice("--regularization-scaling", default: c.regularizationScaling)
        if arguments.has("--regularization-exponent") {
            c.regularizationExponent = try arguments.float("--regularization-exponent", default: 0, in: .atLeast(0))
        }
        c.unobservedWeight = try arguments.float("--unobserved-weight", default: c.unobservedWeight, in: .atLeast(0))
        c.initialScale = try arguments.float("--init-scale", default: c.initialScale, in: .above(0))
        let solverGiven = arguments.has("--solver")
        c.solver = try arguments.choice("--solver", default: c.solver)
        c.cgSteps = try arguments.int("--cg-steps", default: c.cgSteps, in: 1...1000)
        c.blockSize = try arguments.int("--block-size", default: c.blockSize, in: 1...4096)
        c.nonnegative = try arguments.flag("--nonnegative")
        // The non-negative solve is exact: asked for alone, it brings its solver with it.
        if c.nonnegative && !solverGiven { c.solver = .cholesky }
        if let seed = try arguments.value("--seed") {
            guard let value = UInt64(seed) else { throw UsageError("--seed must be a whole number ≥ 0 (got '\(seed)')") }
            c.seed = value
        }
        if c.nonnegative && c.solver != .cholesky { throw UsageError("--nonnegative needs --solver cholesky (the non-negative solve is exact)") }
        threads = try arguments.int("--threads", default: threads, in: 1...1024)
        try ParameterFlags.validate(c)
        configuration = c
    }
}
