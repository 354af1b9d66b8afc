import Foundation

/// Which hyperparameter settings a tuning run tries.
package enum TuningPlan: Sendable {
    /// `trials` random draws: factors from a list, λ and α log-uniform in their ranges,
    /// confidence from a list.
    case random(trials: Int, factors: [Int], regularization: ClosedRange<Float>, alpha: ClosedRange<Float>, confidence: [ConfidenceFunction])
    /// Every combination of the given values.
    case grid(factors: [Int], regularization: [Float], alpha: [Float], confidence: [ConfidenceFunction])

    /// The default random search: 20 trials over factors 16–128, λ 0.01–100, α 0.1–50, both confidences.
    package static let standard = TuningPlan.random(trials: 20, factors: [16, 32, 64, 128], regularization: 0.01...100, alpha: 0.1...50, confidence: [.linear, .log])

    /// The settings to try, each a copy of `base` with the searched values set.
    package func configurations(base: ALSConfiguration, seed: UInt64) -> [ALSConfiguration] {
        switch self {
        case let .random(trials, factors, regularization, alpha, confidence):
            var random = RandomSource(seed: seed, stream: 11, row: 0)
            func logUniform(_ range: ClosedRange<Float>) -> Float {
                let low = log(Double(range.lowerBound)), high = log(Double(range.upperBound))
                return Float(exp(low + random.nextUniform() * (high - low)))
            }
            return (0..<trials).map { _ in
                var c = base
                c.factors = factors[Int(random.nextUniform() * Double(factors.count))]
                c.regularization = logUniform(regularization)
                c.alpha = logUniform(alpha)
                c.confidence = confidence[Int(random.nextUniform() * Double(confidence.count))]
                return c
            }
        case let .grid(factors, regularization, alpha, confidence):
            var result: [ALSConfiguration] = []
            for f in factors { for r in regularization { for a in alpha { for g in confidence {
                var c = base
                c.factors = f
                c.regularization = r
                c.alpha = a
                c.confidence = g
                result.append(c)
            }}}}
            return result
        }
    }
}

/// One tried setting and how it scored on the validation split.
package struct TuningTrial: Sendable {
    /// The setting.
    package var configuration: ALSConfiguration
    /// Its validation scores.
    package var validation: EvaluationResult
    /// Seconds to train and score it.
    package var seconds: Double
    /// The rung of successive halving it ran at (0 outside it).
    package var rung = 0
}

/// What a tuner reports after each trial.
package struct TuningProgress: Sendable {
    /// The trial just finished.
    package var trial: TuningTrial
    /// 1-based number of that trial.
    package var number: Int
    /// How many trials there are (0 when the budget decides).
    package var total: Int
    /// Seconds since tuning began.
    package var elapsed: Double
    /// Estimated seconds left: from the mean trial time so far, or what is left of the budget.
    package var remaining: Double
}

/// The outcome of tuning: every trial, the best, and the best setting's one score on the test split.
package struct TuningReport: Sendable {
    /// Every trial in order.
    package var trials: [TuningTrial]
    /// The trial with the best validation metric.
    package var best: TuningTrial
    /// The best setting retrained on the whole training split and scored on the test split.
    package var test: EvaluationResult
}

/// The two steps every search shares, so that both keep the test part untouched alike.
enum TuningSplits {
    /// The validation part settings are tried on: carved from `split.train` with `seed` + 1.
    static func validator(_ split: TrainTestSplit, strategy: SplitStrategy, fraction: Double, seed: UInt64, k: Int, threads: Int) throws -> Evaluator {
        let validationSplit = try TrainTestSplit(split.train, strategy: strategy, testFraction: fraction, seed: seed &+ 1)
        return try Evaluator(split: validationSplit, k: k, threads: threads)
    }

    /// `configuration` retrained on the whole training part and scored once on the test part.
    static func testScore(_ configuration: ALSConfiguration, on split: TrainTestSplit, k: Int, threads: Int) throws -> EvaluationResult {
        let tester = try Evaluator(split: split, k: k, threads: threads)
        return tester.evaluate(try ImplicitALS(configuration: configuration, threads: threads).fit(tester.train))
    }
}

/// Searches hyperparameters on a validation split carved from the training data, so the test
/// split is touched once, at the end, by the winning setting only.
package struct Tuner: Sendable {
    /// Settings not searched (scaling, solver, iterations, seed, …) come from here.
    package var base: ALSConfiguration
    /// What to try.
    package var plan: TuningPlan
    /// What to maximise.
    package var metric: EvaluationMetric
    /// Cut-off of the top-k metrics.
    package var k: Int
    /// How validation pairs are carved from training pairs.
    package var strategy: SplitStrategy
    /// Share of training pairs held out for validation.
    package var validationFraction: Double
    /// Threads per trial.
    package var threads: Int

    /// A tuner with the given settings.
    package init(base: ALSConfiguration, plan: TuningPlan, metric: EvaluationMetric, k: Int, strategy: SplitStrategy,
                validationFraction: Double, threads: Int = Parallel.defaultThreadCount) {
        self.base = base
        self.plan = plan
        self.metric = metric
        self.k = k
        self.strategy = strategy
        self.validationFraction = validationFraction
        self.threads = threads
    }

    /// Runs every trial on a validation split of `split.train`, then scores the best on `split.test`.
    package func run(_ split: TrainTestSplit, progress: ((TuningProgress) -> Void)? = nil) throws -> TuningReport {
        let configurations = plan.configurations(base: base, seed: base.seed)
        guard !configurations.isEmpty else { throw EncoreError.invalidArgument("the search has no settings to try") }
        for configuration in configurations { try configuration.validate() }
        let validator = try TuningSplits.validator(split, strategy: strategy, fraction: validationFraction, seed: base.seed, k: k, threads: threads)
        let start = DispatchTime.now().uptimeNanoseconds
        var trials: [TuningTrial] = []
        for (number, configuration) in configurations.enumerated() {
            let trialStart = DispatchTime.now().uptimeNanoseconds
            let factors = try ImplicitALS(configuration: configuration, threads: threads).fit(validator.train)
            let trial = TuningTrial(configuration: configuration, validation: validator.evaluate(factors),
                                    seconds: Double(DispatchTime.now().uptimeNanoseconds - trialStart) / 1e9)
            trials.append(trial)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            progress?(TuningProgress(trial: trial, number: number + 1, total: configurations.count, elapsed: elapsed,
                                     remaining: elapsed / Double(number + 1) * Double(configurations.count - number - 1)))
        }
        let best = trials.max { $0.validation.value(of: metric) < $1.validation.value(of: metric) }!
        return TuningReport(trials: trials, best: best, test: try TuningSplits.testScore(best.configuration, on: split, k: k, threads: threads))
    }
}
