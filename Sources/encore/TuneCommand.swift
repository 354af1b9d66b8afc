import Encore
import EncoreCLI
import Foundation

/// `encore tune`: hyperparameter search on a validation split.
enum TuneCommand: Command {
    static let name = "tune"
    static let summary = "search the model's settings within a time budget; print the best train command"
    static let usage = """
    Usage: encore tune FILE [--budget 5m] [--trials N] [--search halving|random | grid options] [--metric map] [evaluation options] [data options] [model options]
           encore tune FILE --model ease [EASE search options] [--metric map] [evaluation options] [data options]

    Splits FILE into training and test parts (as `encore evaluate`), carves a validation part out
    of the training part, and tries settings on it. The test part is used once, at the end, to
    score the best setting retrained on the whole training part. Prints every trial, progress with
    the time left on stderr, and the best setting as the `encore train` command to run.

    With no search option it searches by itself within a budget (below); --grid-* options
    search a grid instead.

    \(automaticHelp)

    Grid search:
      --grid-factors LIST           grid search over these factors (comma-separated); with any
      --grid-regularization LIST    --grid-* option the search is a grid, and an axis left out
      --grid-alpha LIST             keeps its value from the model options
      --grid-confidence LIST

    Both searches:
      --metric NAME                 map, ndcg, precision, recall, auc, mpr (default map)
      --split, --test-fraction, --test-users, --k as in `encore evaluate` (the validation part uses the same
                                    strategy and fraction)
      --json                        one JSON object per trial, then one for the result

    \(easeHelp)

    \(DataOptions.help)

    \(ModelOptions.help)
    """

    static func run(_ arguments: CommandLineArguments) throws {
        if try arguments.choice("--model", default: TunedModel.als) == .ease { return try runEASE(arguments) }
        let gridOptions = ["--grid-factors", "--grid-regularization", "--grid-alpha", "--grid-confidence"]
        if !gridOptions.contains(where: arguments.has) { return try runAutomatic(arguments) }
        let gridFactors = try list("--grid-factors", arguments) { Int($0).flatMap { $0 >= 1 ? $0 : nil } }
        let gridRegularization = try list("--grid-regularization", arguments) { Float($0).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil } }
        let gridAlpha = try list("--grid-alpha", arguments) { Float($0).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil } }
        let gridConfidence = try list("--grid-confidence", arguments) { ConfidenceFunction(rawValue: $0) }
        let (metric, json, split, data, model, file) = try commonOptions(arguments)

        let base = model.configuration
        let plan = TuningPlan.grid(factors: gridFactors ?? [base.factors], regularization: gridRegularization ?? [base.regularization],
                                   alpha: gridAlpha ?? [base.alpha], confidence: gridConfidence ?? [base.confidence])
        let interactions = try data.load(file)
        let parts = try split.split(interactions, seed: base.seed)
        let tuner = Tuner(base: base, plan: plan, metric: metric, k: split.k, strategy: split.strategy, validationFraction: split.testFraction, threads: model.threads)
        let label = metric.label(k: split.k)
        let header = ["trial", "factors", "regularization", "alpha", "confidence", "validation \(label)", "seconds"]
        let rightAligned: Set<Int> = [0, 1, 2, 3, 5, 6]
        func settings(_ number: Int, _ c: ALSConfiguration) -> [String] {
            ["\(number)", "\(c.factors)", String(format: "%.4g", Double(c.regularization)), String(format: "%.4g", Double(c.alpha)), c.confidence.rawValue]
        }
        // Rows are printed as trials end, so the widths are settled first: every trial's settings
        // are known before it runs (the tuner draws them from the same plan and seed), a metric
        // prints as 0.1234 and the seconds as up to 99999.99.
        var widths = header.map(\.count)
        for (index, configuration) in plan.configurations(base: base, seed: base.seed).enumerated() {
            for (column, cell) in settings(index + 1, configuration).enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        widths[5] = max(widths[5], 6)
        widths[6] = max(widths[6], 8)
        if !json { for line in TextTable.head(header, widths: widths, rightAligned: rightAligned) { Console.out(line) } }
        let report = try tuner.run(parts) { progress in
            let c = progress.trial.configuration
            if json {
                var line = JSONLine()
                line.add("trial", progress.number)
                line.add("factors", c.factors)
                line.add("regularization", c.regularization)
                line.add("alpha", c.alpha)
                line.add("confidence", c.confidence.rawValue)
                line.add(metric.rawValue, progress.trial.validation.value(of: metric))
                line.add("seconds", progress.trial.seconds)
                Console.out(line.text)
            } else {
                Console.out(TextTable.line(settings(progress.number, c) + [String(format: "%.4f", progress.trial.validation.value(of: metric)), String(format: "%.2f", progress.trial.seconds)],
                                           widths: widths, rightAligned: rightAligned))
            }
            Console.err("tune: \(progress.number)/\(progress.total) trials done, \(Console.seconds(progress.elapsed)) elapsed, about \(Console.seconds(progress.remaining)) left")
        }
        let command = trainCommand(file: file, data: data, configuration: report.best.configuration)
        if json {
            var line = JSONLine()
            line.add("best_validation_\(metric.rawValue)", report.best.validation.value(of: metric))
            // The tuned metric, then MAP and NDCG unless one of them is that metric (no key twice).
            for shown in [metric] + [EvaluationMetric.map, .ndcg].filter({ $0 != metric }) {
                line.add("test_\(shown.rawValue)", report.test.value(of: shown))
            }
            line.add("command", command)
            Console.out(line.text)
        } else {
            Console.out("")
            let testScores = [EvaluationMetric.map, .ndcg].filter { $0 != metric }.map { "\($0.label(k: split.k)) \(String(format: "%.4f", report.test.value(of: $0)))" }
            Console.out("best on validation: \(label) \(String(format: "%.4f", report.best.validation.value(of: metric))); on the untouched test split: "
                + ([ "\(label) \(String(format: "%.4f", report.test.value(of: metric)))"] + testScores).joined(separator: ", "))
            Console.out("train it with:")
            Console.out("  \(command)")
        }
    }

    /// The options both searches take, and FILE; taken last, so that any option left is unknown.
    static func commonOptions(_ arguments: CommandLineArguments) throws
        -> (metric: EvaluationMetric, json: Bool, split: SplitOptions, data: DataOptions, model: ModelOptions, file: String) {
        let metric: EvaluationMetric = try arguments.choice("--metric", default: .map)
        let json = try arguments.flag("--json")
        let split = try SplitOptions(arguments)
        let data = try DataOptions(arguments)
        let model = try ModelOptions(arguments)
        return (metric, json, split, data, model, try arguments.positionals(["FILE"])[0])
    }

    /// A comma-separated list option, each element parsed by `parse`.
    static func list<T>(_ name: String, _ arguments: CommandLineArguments, _ parse: (String) -> T?) throws -> [T]? {
        guard let text = try arguments.value(name) else { return nil }
        let values = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let parsed = values.compactMap(parse)
        guard !values.isEmpty, parsed.count == values.count else { throw UsageError("\(name) must be a comma-separated list of valid values (got '\(text)')") }
        return parsed
    }

    /// The `encore train` command line that reproduces a configuration on `file`.
    static func trainCommand(file: String, data: DataOptions, configuration c: ALSConfiguration) -> String {
        var words = ["encore", "train", file, "--output", "model.encore"] + data.words
        words += ["--factors", "\(c.factors)", "--iterations", "\(c.iterations)", "--regularization", "\(c.regularization)",
                  "--alpha", "\(c.alpha)", "--confidence", c.confidence.rawValue]
        if c.confidence == .log && c.epsilon != 1 { words += ["--epsilon", "\(c.epsilon)"] }
        words += ["--regularization-scaling", c.regularizationScaling.rawValue]
        if let exponent = c.regularizationExponent { words += ["--regularization-exponent", "\(exponent)"] }
        if c.unobservedWeight != 0 { words += ["--unobserved-weight", "\(c.unobservedWeight)"] }
        if c.initialScale != 1 { words += ["--init-scale", "\(c.initialScale)"] }
        words += ["--solver", c.solver.rawValue]
        if c.solver == .cg { words += ["--cg-steps", "\(c.cgSteps)"] }
        if c.solver == .subspace { words += ["--block-size", "\(c.blockSize)"] }
        if c.nonnegative { words.append("--nonnegative") }
        words += ["--seed", "\(c.seed)"]
        return words.map(shellQuoted).joined(separator: " ")
    }

    /// `word` as a POSIX shell reads it back: unchanged when it holds only safe characters,
    /// otherwise in single quotes (a quote inside written as '\'').
    static func shellQuoted(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-".unicodeScalars)
        if !word.isEmpty && word.unicodeScalars.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
