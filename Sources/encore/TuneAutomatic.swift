import Encore
import EncoreCLI
import Foundation

extension TuneCommand {
    static let automaticHelp = """
      Automatic search (the default: no --grid-* option):
        --budget DURATION             time for the whole search, final retrain and test score
                                      included: 300s, 5m, 1h (default 5m, or none with --trials)
        --trials N                    at most N settings (with --budget, whichever ends first)
        --search halving|random       successive halving — many settings at 3 iterations, the
                                      best third at 8, the best third of those at the full
                                      count, again while the budget lasts — or every setting at
                                      the full count (default halving)
      It draws factors from 32,64,128,256,512 (CG, the fastest per iteration on play logs),
      the ridge of a typical row log-uniform 0.3–300 and ν uniform 0–1 (λ = ridge / n̄^ν, n̄ the
      typical row length), α log-uniform 0.05–30 (linear: divided by the mean weight), α₀ 0 or
      log-uniform 0.0005–0.5, confidence log or linear.
    """

    /// `--budget`'s value in seconds: a number with s, m or h (seconds if none).
    static func duration(_ text: String) throws -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        let unit = text.last.flatMap { units[$0] }
        let number = Double(unit == nil ? text : String(text.dropLast()))
        guard let number, number > 0, number.isFinite else {
            throw UsageError("--budget must be a duration such as 300s, 5m or 1h (got '\(text)')")
        }
        return number * (unit ?? 1)
    }

    /// `encore tune` without a grid: the budgeted search of `AutomaticTuner`.
    static func runAutomatic(_ arguments: CommandLineArguments) throws {
        let trials = arguments.has("--trials") ? try arguments.int("--trials", default: 20, in: 1...100_000) : nil
        let budget = try arguments.value("--budget").map(duration) ?? (trials == nil ? 300 : nil)
        let strategy: SearchStrategy = try arguments.choice("--search", default: .halving)
        let (metric, json, split, data, model, file) = try commonOptions(arguments)
        let interactions = try data.load(file)
        let parts = try split.split(interactions, seed: model.configuration.seed)
        let tuner = AutomaticTuner(base: model.configuration, space: SearchSpace.standard(users: parts.train.userIDs.count, items: parts.train.itemIDs.count, weights: parts.train.weights), strategy: strategy, budget: budget,
                                   maximumSettings: trials, metric: metric, k: split.k, splitStrategy: split.strategy,
                                   validationFraction: split.testFraction, threads: model.threads)
        let label = metric.label(k: split.k)
        let header = ["trial", "iterations", "factors", "solver", "λ", "ν", "α", "α₀", "confidence", "validation \(label)", "seconds"]
        let widths = [5, 10, 7, 8, 9, 5, 9, 9, 10, max(10, header[9].count), 8]
        let rightAligned: Set<Int> = [0, 1, 2, 4, 5, 6, 7, 9, 10]
        if !json { for line in TextTable.head(header, widths: widths, rightAligned: rightAligned) { Console.out(line) } }
        let report = try tuner.run(parts) { progress in
            let c = progress.trial.configuration, value = progress.trial.validation.value(of: metric)
            if json {
                Console.out(trialJSON(progress, metric: metric).text)
            } else {
                let cells = ["\(progress.number)", "\(c.iterations)", "\(c.factors)", c.solver.rawValue, String(format: "%.4g", Double(c.regularization)),
                             String(format: "%.2f", Double(c.effectiveRegularizationExponent)), String(format: "%.4g", Double(c.alpha)),
                             String(format: "%.3g", Double(c.unobservedWeight)), c.confidence.rawValue, String(format: "%.4f", value),
                             String(format: "%.2f", progress.trial.seconds)]
                Console.out(TextTable.line(cells, widths: widths, rightAligned: rightAligned))
            }
            let left = budget == nil ? "" : ", about \(Console.seconds(progress.remaining)) of the budget left"
            Console.err("tune: \(progress.number) trials done (rung \(progress.trial.rung + 1)), \(Console.seconds(progress.elapsed)) elapsed\(left)")
        }
        printOutcome(report, metric: metric, k: split.k, json: json, command: trainCommand(file: file, data: data, configuration: report.best.configuration))
    }

    /// One trial as a JSON line.
    private static func trialJSON(_ progress: TuningProgress, metric: EvaluationMetric) -> JSONLine {
        let c = progress.trial.configuration
        var line = JSONLine()
        line.add("trial", progress.number)
        line.add("rung", progress.trial.rung + 1)
        line.add("iterations", c.iterations)
        line.add("factors", c.factors)
        line.add("solver", c.solver.rawValue)
        line.add("regularization", c.regularization)
        line.add("regularization_exponent", c.effectiveRegularizationExponent)
        line.add("alpha", c.alpha)
        line.add("unobserved_weight", c.unobservedWeight)
        line.add("confidence", c.confidence.rawValue)
        line.add(metric.rawValue, progress.trial.validation.value(of: metric))
        line.add("seconds", progress.trial.seconds)
        line.add("elapsed", progress.elapsed)
        return line
    }

    /// The winner: its validation and test scores, the `encore train` line and the library's
    /// configuration.
    private static func printOutcome(_ report: TuningReport, metric: EvaluationMetric, k: Int, json: Bool, command: String) {
        let label = metric.label(k: k)
        if json {
            var line = JSONLine()
            line.add("best_validation_\(metric.rawValue)", report.best.validation.value(of: metric))
            for shown in [metric] + [EvaluationMetric.map, .ndcg].filter({ $0 != metric }) {
                line.add("test_\(shown.rawValue)", report.test.value(of: shown))
            }
            line.add("trials", report.trials.count)
            line.add("command", command)
            Console.out(line.text)
            return
        }
        Console.out("")
        let testScores = [EvaluationMetric.map, .ndcg].filter { $0 != metric }.map { "\($0.label(k: k)) \(String(format: "%.4f", report.test.value(of: $0)))" }
        Console.out("\(report.trials.count) trials; best on validation: \(label) \(String(format: "%.4f", report.best.validation.value(of: metric))); "
            + "on the untouched test split: " + (["\(label) \(String(format: "%.4f", report.test.value(of: metric)))"] + testScores).joined(separator: ", "))
        Console.out("train it with:")
        Console.out("  \(command)")
        Console.out("or in Swift:")
        for line in librarySnippet(report.best.configuration) { Console.out("  \(line)") }
    }

    /// The Swift lines that make `c` with the library: every setting that differs from the defaults.
    static func librarySnippet(_ c: ALSConfiguration) -> [String] {
        let d = ALSConfiguration()
        var lines = ["var configuration = ALSConfiguration()"]
        func set<T: Equatable>(_ name: String, _ value: T, _ fallback: T, _ text: String) {
            if value != fallback { lines.append("configuration.\(name) = \(text)") }
        }
        set("factors", c.factors, d.factors, "\(c.factors)")
        set("iterations", c.iterations, d.iterations, "\(c.iterations)")
        set("regularization", c.regularization, d.regularization, "\(c.regularization)")
        set("regularizationScaling", c.regularizationScaling, d.regularizationScaling, ".\(c.regularizationScaling.rawValue)")
        set("regularizationExponent", c.regularizationExponent, d.regularizationExponent, c.regularizationExponent.map { "\($0)" } ?? "nil")
        set("unobservedWeight", c.unobservedWeight, d.unobservedWeight, "\(c.unobservedWeight)")
        set("alpha", c.alpha, d.alpha, "\(c.alpha)")
        set("confidence", c.confidence, d.confidence, ".\(c.confidence.rawValue)")
        set("epsilon", c.epsilon, d.epsilon, "\(c.epsilon)")
        set("initialScale", c.initialScale, d.initialScale, "\(c.initialScale)")
        set("solver", c.solver, d.solver, ".\(c.solver.rawValue)")
        set("cgSteps", c.cgSteps, d.cgSteps, "\(c.cgSteps)")
        set("blockSize", c.blockSize, d.blockSize, "\(c.blockSize)")
        set("nonnegative", c.nonnegative, d.nonnegative, "\(c.nonnegative)")
        set("seed", c.seed, d.seed, "\(c.seed)")
        return lines
    }
}
