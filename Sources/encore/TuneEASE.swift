import Encore
import EncoreCLI
import Foundation

/// What `encore tune` searches.
enum TunedModel: String, CaseIterable {
    case als, ease
}

extension TuneCommand {
    static let easeHelp = """
      EASE search (--model ease: one dense item-matrix inverse per trial, so a short grid):
        --grid-ease-input LIST          inputs to try (default binary,log)
        --grid-ease-regularization LIST λ values to try for every input (default: 1/4, 1/2, 1, 2
                                        and 4 times the input's default λ, 100 binary, 2000 log)
        --ease-precision float|double   arithmetic of the inverse (default float)
    """

    /// `encore tune --model ease`: EASE's λ and input on a validation split, then the test split once.
    static func runEASE(_ arguments: CommandLineArguments) throws {
        let inputs = try list("--grid-ease-input", arguments) { EASEInput(rawValue: $0) } ?? EASEInput.allCases
        let lambdas = try list("--grid-ease-regularization", arguments) { Double($0).flatMap { $0 > 0 && $0.isFinite ? $0 : nil } }
        let precision: EASEPrecision = try arguments.choice("--ease-precision", default: .float)
        let (metric, json, split, data, model, file) = try commonOptions(arguments)
        let interactions = try data.load(file)

        let settings = EASETuner.grid(inputs: inputs, regularization: lambdas, base: EASEOptions.defaultRegularization)
        let tuner = EASETuner(settings: settings, precision: precision, metric: metric, k: split.k, strategy: split.strategy,
                              validationFraction: split.testFraction, seed: model.configuration.seed, threads: model.threads)
        let label = metric.label(k: split.k)
        let header = ["trial", "input", "regularization", "validation \(label)", "seconds"]
        let rightAligned: Set<Int> = [0, 2, 3, 4]
        func cells(_ number: Int, _ s: EASESetting) -> [String] { ["\(number)", s.input.rawValue, String(format: "%.4g", s.regularization)] }
        var widths = header.map(\.count)
        for (index, setting) in settings.enumerated() { for (column, cell) in cells(index + 1, setting).enumerated() { widths[column] = max(widths[column], cell.count) } }
        widths[4] = max(widths[4], 8)
        if !json { for line in TextTable.head(header, widths: widths, rightAligned: rightAligned) { Console.out(line) } }
        let report = try tuner.run(split.split(interactions, seed: model.configuration.seed)) { trial, number, elapsed in
            let value = trial.validation.value(of: metric)
            if json {
                var line = JSONLine()
                line.add("trial", number)
                line.add("input", trial.setting.input.rawValue)
                line.add("regularization", trial.setting.regularization)
                line.add(metric.rawValue, value)
                line.add("seconds", trial.seconds)
                Console.out(line.text)
            } else {
                Console.out(TextTable.line(cells(number, trial.setting) + [String(format: "%.4f", value), String(format: "%.2f", trial.seconds)], widths: widths, rightAligned: rightAligned))
            }
            let remaining = elapsed / Double(number) * Double(settings.count - number)
            Console.err("tune: \(number)/\(settings.count) trials done, \(Console.seconds(elapsed)) elapsed, about \(Console.seconds(remaining)) left")
        }
        let best = report.best.setting
        let words = ["encore", "evaluate", file] + data.words + ["--model", "ease", "--ease-input", best.input.rawValue,
                     "--ease-regularization", "\(Float(best.regularization))", "--ease-precision", precision.rawValue, "--seed", "\(model.configuration.seed)"]
        let command = words.map(shellQuoted).joined(separator: " ")
        if json {
            var line = JSONLine()
            line.add("best_validation_\(metric.rawValue)", report.best.validation.value(of: metric))
            for shown in [metric] + [EvaluationMetric.map, .ndcg].filter({ $0 != metric }) { line.add("test_\(shown.rawValue)", report.test.value(of: shown)) }
            line.add("command", command)
            Console.out(line.text)
        } else {
            let scores = ([metric] + [EvaluationMetric.map, .ndcg].filter { $0 != metric }).map { "\($0.label(k: split.k)) \(String(format: "%.4f", report.test.value(of: $0)))" }
            Console.out("")
            Console.out("best on validation: \(label) \(String(format: "%.4f", report.best.validation.value(of: metric))); on the untouched test split: " + scores.joined(separator: ", "))
            Console.out("evaluate it with:")
            Console.out("  \(command)")
        }
    }
}
