import Foundation

/// One EASE setting: λ and what X holds.
package struct EASESetting: Sendable, Equatable {
    /// λ added to the diagonal of XᵀX.
    package var regularization: Double
    /// What X holds for a played pair.
    package var input: EASEInput
}

/// One tried EASE setting and how it scored on the validation split.
package struct EASETrial: Sendable {
    /// The setting.
    package var setting: EASESetting
    /// Its validation scores.
    package var validation: EvaluationResult
    /// Seconds to build and score it.
    package var seconds: Double
}

/// Searches EASE's λ and input on a validation split carved from the training data, as `Tuner`
/// does ALS's: the test split is touched once, by the winning setting only. A trial costs one
/// dense inverse of the item matrix whatever λ, so the search is a short grid, not random draws.
package struct EASETuner: Sendable {
    /// What to try, in order.
    package var settings: [EASESetting]
    /// The arithmetic of every inverse.
    package var precision: EASEPrecision
    /// What to maximise.
    package var metric: EvaluationMetric
    /// Cut-off of the top-k metrics.
    package var k: Int
    /// How validation pairs are carved from training pairs.
    package var strategy: SplitStrategy
    /// Share of training pairs held out for validation.
    package var validationFraction: Double
    /// Seed of the validation split (the split itself uses seed + 1, as `Tuner`'s does).
    package var seed: UInt64
    /// Threads of the inverse and of scoring.
    package var threads: Int

    /// λ from `base` × 1/4, 1/2, 1, 2, 4 for each input: the default grid, a factor of 16 around
    /// a setting known to be good.
    package static func grid(inputs: [EASEInput], regularization: [Double]? = nil, base: (EASEInput) -> Double) -> [EASESetting] {
        inputs.flatMap { input in (regularization ?? [0.25, 0.5, 1, 2, 4].map { $0 * base(input) }).map { EASESetting(regularization: $0, input: input) } }
    }

    /// A tuner with the given settings.
    package init(settings: [EASESetting], precision: EASEPrecision, metric: EvaluationMetric, k: Int, strategy: SplitStrategy,
                 validationFraction: Double, seed: UInt64, threads: Int = Parallel.defaultThreadCount) {
        self.settings = settings
        self.precision = precision
        self.metric = metric
        self.k = k
        self.strategy = strategy
        self.validationFraction = validationFraction
        self.seed = seed
        self.threads = threads
    }

    /// Runs every setting on a validation split of `split.train`, then scores the best on
    /// `split.test`; `progress` gets each trial, its 1-based number and the seconds since the start.
    package func run(_ split: TrainTestSplit, progress: ((EASETrial, Int, Double) -> Void)? = nil) throws -> (trials: [EASETrial], best: EASETrial, test: EvaluationResult) {
        guard !settings.isEmpty else { throw EncoreError.invalidArgument("the search has no settings to try") }
        let validator = try TuningSplits.validator(split, strategy: strategy, fraction: validationFraction, seed: seed, k: k, threads: threads)
        let start = DispatchTime.now().uptimeNanoseconds
        func seconds(since t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
        var trials: [EASETrial] = []
        for setting in settings {
            let trialStart = DispatchTime.now().uptimeNanoseconds
            let ease = try EASERecommender(validator.train, regularization: setting.regularization, input: setting.input, precision: precision, threads: threads)
            trials.append(EASETrial(setting: setting, validation: validator.evaluate(ease), seconds: seconds(since: trialStart)))
            progress?(trials[trials.count - 1], trials.count, seconds(since: start))
        }
        let best = trials.max { $0.validation.value(of: metric) < $1.validation.value(of: metric) }!
        let tester = try Evaluator(split: split, k: k, threads: threads)
        let final = try EASERecommender(tester.train, regularization: best.setting.regularization, input: best.setting.input, precision: precision, threads: threads)
        return (trials, best, tester.evaluate(final))
    }
}
