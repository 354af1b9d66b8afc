import Foundation

/// The hyperparameters the automatic search draws from: the axes that move top-N quality on play
/// logs (Rendle et al., RecSys 2022) — rank, λ and its frequency exponent ν, α and the
/// confidence function, the weight α₀ on unobserved pairs. λ is drawn as the ridge a row of
/// typical length would get and divided by that length^ν, so that one range serves every ν;
/// linear α is drawn relative to the mean weight, so that one range serves any unit of plays.
package struct SearchSpace: Sendable {
    /// Ranks to try.
    package var factors: [Int] = [32, 64, 128, 256, 512]
    /// The solver of every trial: CG, the fastest per iteration on play logs' short rows at
    /// every rank measured (docs/quality.md, "Solvers").
    package var solver = ALSSolverKind.cg
    /// The ridge of a typical row, λ·n̄^ν, log-uniform.
    package var typicalRidge: ClosedRange<Double> = 0.3...300
    /// ν, uniform.
    package var exponent: ClosedRange<Double> = 0...1
    /// α of the log confidence, log-uniform; for linear confidence, α times the mean weight.
    package var alpha: ClosedRange<Double> = 0.05...30
    /// α₀ when drawn (log-uniform); half of the draws keep α₀ = 0.
    package var unobservedWeight: ClosedRange<Double> = 0.0005...0.5
    /// Confidence functions, drawn with equal chance.
    package var confidences: [ConfidenceFunction] = [.log, .linear]
    /// n̄, the geometric mean of the mean user row and the mean item row of the training data.
    package var typicalRowLength = 1.0
    /// The mean observed weight of the training data.
    package var meanWeight = 1.0

    /// The standard space, scaled to training data of `users` × `items` with these `weights`.
    package static func standard(users: Int, items: Int, weights: [Float]) -> SearchSpace {
        var space = SearchSpace()
        let entries = Double(max(1, weights.count))
        space.typicalRowLength = entries / (Double(max(1, users)) * Double(max(1, items))).squareRoot()
        space.meanWeight = max(1e-6, weights.reduce(0.0) { $0 + Double(abs($1)) } / entries)
        return space
    }

    /// One setting: `base` with every searched value drawn from `random`.
    package func draw(base: ALSConfiguration, random: inout RandomSource) -> ALSConfiguration {
        func logUniform(_ range: ClosedRange<Double>) -> Double {
            exp(log(range.lowerBound) + random.nextUniform() * (log(range.upperBound) - log(range.lowerBound)))
        }
        var c = base
        c.factors = factors[min(factors.count - 1, Int(random.nextUniform() * Double(factors.count)))]
        c.solver = solver
        let nu = exponent.lowerBound + random.nextUniform() * (exponent.upperBound - exponent.lowerBound)
        c.regularizationExponent = Float(nu)
        c.regularization = Float(logUniform(typicalRidge) / pow(typicalRowLength, nu))
        c.confidence = confidences[min(confidences.count - 1, Int(random.nextUniform() * Double(confidences.count)))]
        let a = logUniform(alpha)
        c.alpha = Float(c.confidence == .log ? a : a / meanWeight)
        c.unobservedWeight = random.nextUniform() < 0.5 ? 0 : Float(logUniform(unobservedWeight))
        return c
    }
}

/// How the automatic search spends its budget.
package enum SearchStrategy: String, Sendable, CaseIterable {
    /// Successive halving: many settings at few iterations, the best third of them at more, the
    /// best third of those at the full count (Jamieson & Talwalkar 2016).
    case halving
    /// Every setting at the full iteration count until the budget is spent: the yardstick.
    case random
}

/// Searches `SearchSpace` within a time budget (or a number of settings) on a validation split
/// carved from the training part, then scores the winner once on the untouched test part.
package struct AutomaticTuner: Sendable {
    /// Settings not searched (iterations, seed, ε, …) come from here.
    package var base: ALSConfiguration
    package var space: SearchSpace
    package var strategy: SearchStrategy
    /// Seconds the whole search may take, final retrain and test included; nil for no limit.
    package var budget: Double?
    /// At most this many settings are drawn; nil for as many as the budget allows.
    package var maximumSettings: Int?
    package var metric: EvaluationMetric
    package var k: Int
    package var splitStrategy: SplitStrategy
    package var validationFraction: Double
    package var threads: Int

    /// Iterations at each rung of successive halving (the last is `base.iterations`), and the
    /// share of a bracket's time window by which each rung must be done.
    private var rungs: [(iterations: Int, share: Double)] {
        let full = base.iterations
        return [(max(1, min(3, full)), 0.5), (max(1, min(8, full)), 0.8), (full, 1)]
    }

    package init(base: ALSConfiguration, space: SearchSpace, strategy: SearchStrategy, budget: Double?, maximumSettings: Int?,
                 metric: EvaluationMetric, k: Int, splitStrategy: SplitStrategy, validationFraction: Double, threads: Int) {
        self.base = base
        self.space = space
        self.strategy = strategy
        self.budget = budget
        self.maximumSettings = maximumSettings
        self.metric = metric
        self.k = k
        self.splitStrategy = splitStrategy
        self.validationFraction = validationFraction
        self.threads = threads
    }

    /// Runs the search on a validation split of `split.train`, retrains the best on the whole
    /// training part and scores it on `split.test`. `progress` hears of every trial.
    package func run(_ split: TrainTestSplit, progress: ((TuningProgress) -> Void)? = nil) throws -> TuningReport {
        guard budget != nil || maximumSettings != nil else {
            throw EncoreError.invalidArgument("the automatic search needs a budget or a number of settings")
        }
        let validator = try TuningSplits.validator(split, strategy: splitStrategy, fraction: validationFraction, seed: base.seed, k: k, threads: threads)
        var session = SearchSession(tuner: self, validator: validator, progress: progress)
        let best: TuningTrial
        switch strategy {
        case .halving: best = try session.successiveHalving()
        case .random: best = try session.randomSearch()
        }
        var winner = best.configuration
        winner.iterations = base.iterations
        var reported = best
        reported.configuration = winner
        return TuningReport(trials: session.trials, best: reported, test: try TuningSplits.testScore(winner, on: split, k: k, threads: threads))
    }

    /// The seconds by which a share of the budget is spent (infinite without a budget).
    fileprivate func deadline(_ share: Double) -> Double { budget.map { $0 * share } ?? .infinity }
    fileprivate var rungPlan: [(iterations: Int, share: Double)] { rungs }
}

/// The state of one search: the trials so far, the clock, and what trials of each rank cost.
private struct SearchSession {
    let tuner: AutomaticTuner
    let validator: Evaluator
    let progress: ((TuningProgress) -> Void)?
    var trials: [TuningTrial] = []
    var random: RandomSource
    let start = DispatchTime.now().uptimeNanoseconds
    /// Seconds per iteration measured for each rank, and the seconds a validation scoring takes.
    var secondsPerIteration: [Int: Double] = [:]
    var scoringSeconds = 0.0

    init(tuner: AutomaticTuner, validator: Evaluator, progress: ((TuningProgress) -> Void)?) {
        self.tuner = tuner
        self.validator = validator
        self.progress = progress
        random = RandomSource(seed: tuner.base.seed, stream: 12, row: 0)
    }

    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// What training `configuration` and scoring it should take, from the trials so far (a
    /// rank not yet seen is scaled from the nearest one that was, as k^1.5).
    func estimate(_ configuration: ALSConfiguration) -> Double {
        let k = configuration.factors
        let perIteration = secondsPerIteration[k] ?? secondsPerIteration.min { abs($0.key - k) < abs($1.key - k) }
            .map { $0.value * pow(Double(k) / Double($0.key), 1.5) } ?? 0
        return perIteration * Double(configuration.iterations) + scoringSeconds
    }

    /// Whether `configuration` can still be tried before `deadline` seconds.
    func fits(_ configuration: ALSConfiguration, before deadline: Double) -> Bool { elapsed + estimate(configuration) <= deadline }

    mutating func draw() -> ALSConfiguration { tuner.space.draw(base: tuner.base, random: &random) }

    /// Trains and scores one setting on the validation split, records it and reports progress.
    mutating func trial(_ configuration: ALSConfiguration, rung: Int) throws -> TuningTrial {
        let trialStart = DispatchTime.now().uptimeNanoseconds
        let factors = try ImplicitALS(configuration: configuration, threads: tuner.threads).fit(validator.train)
        let trained = DispatchTime.now().uptimeNanoseconds
        let validation = validator.evaluate(factors)
        let done = DispatchTime.now().uptimeNanoseconds
        secondsPerIteration[configuration.factors] = Double(trained - trialStart) / 1e9 / Double(max(1, configuration.iterations))
        scoringSeconds = Double(done - trained) / 1e9
        let trial = TuningTrial(configuration: configuration, validation: validation, seconds: Double(done - trialStart) / 1e9, rung: rung)
        trials.append(trial)
        let elapsed = self.elapsed
        progress?(TuningProgress(trial: trial, number: trials.count, total: tuner.maximumSettings ?? 0, elapsed: elapsed,
                                 remaining: tuner.budget.map { max(0, $0 - elapsed) } ?? 0))
        return trial
    }

    func score(_ trial: TuningTrial) -> Double { trial.validation.value(of: tuner.metric) }

    /// Brackets of successive halving until the budget (or the number of settings) is spent:
    /// returns the best trial of the highest rung any bracket reached.
    mutating func successiveHalving() throws -> TuningTrial {
        var best: TuningTrial?
        var drawn = 0
        repeat {
            guard let winner = try bracket(drawn: &drawn) else { break }
            if best == nil || (winner.rung, score(winner)) > (best!.rung, score(best!)) { best = winner }
        } while tuner.budget != nil && elapsed < 0.8 * tuner.deadline(1) && tuner.maximumSettings.map({ drawn < $0 }) ?? true
        guard let best else { throw EncoreError.invalidArgument("the budget ran out before the first setting was tried") }
        return best
    }

    /// One bracket: settings drawn at the first rung's iterations until its deadline (or until
    /// `drawn` reaches the number of settings), then the best third of each rung at the next
    /// rung's. The rungs' deadlines divide what is left of the search window (90% of the
    /// budget; the rest is for the final retrain) as 50%, 80%, 100%. Returns the best trial of
    /// the highest rung reached, nil if no setting could be tried.
    private mutating func bracket(drawn: inout Int) throws -> TuningTrial? {
        let now = elapsed, window = tuner.deadline(0.9)
        var candidates: [ALSConfiguration] = []
        var results: [TuningTrial] = []
        for (rung, step) in tuner.rungPlan.enumerated() {
            let deadline = window.isFinite ? now + step.share * (window - now) : .infinity
            var finished: [TuningTrial] = []
            if rung == 0 {
                while tuner.maximumSettings.map({ drawn < $0 }) ?? true {
                    var c = draw()
                    c.iterations = step.iterations
                    guard fits(c, before: deadline) else { break }
                    drawn += 1
                    finished.append(try trial(c, rung: rung))
                }
            } else {
                for var c in candidates {
                    c.iterations = step.iterations
                    guard fits(c, before: deadline) else { continue }
                    finished.append(try trial(c, rung: rung))
                }
            }
            guard !finished.isEmpty else { break }
            results = finished.sorted { score($0) > score($1) }
            candidates = results.prefix(max(1, (results.count + 2) / 3)).map(\.configuration)
        }
        return results.first
    }

    /// Random settings at the full iteration count until the budget's last rung deadline.
    mutating func randomSearch() throws -> TuningTrial {
        let deadline = tuner.deadline(0.9)
        var best: TuningTrial?
        var count = 0
        while tuner.maximumSettings.map({ count < $0 }) ?? true {
            var c = draw()
            c.iterations = tuner.base.iterations
            guard fits(c, before: deadline) else { break }
            let trial = try self.trial(c, rung: 0)
            count += 1
            if best == nil || score(trial) > score(best!) { best = trial }
        }
        guard let best else { throw EncoreError.invalidArgument("the budget ran out before the first setting was tried") }
        return best
    }
}
