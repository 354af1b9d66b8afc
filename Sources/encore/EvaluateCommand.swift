import Encore
import EncoreCLI
import Foundation

/// `encore evaluate`: split, train, and score top-k lists on held-out plays.
enum EvaluateCommand: Command {
    static let name = "evaluate"
    static let summary = "split a ratings file, train, and score the model on held-out plays"
    static let usage = """
    Usage: encore evaluate FILE [data options] [model options] [evaluation options]

    Splits the distinct (user, item) pairs of FILE into training and test parts, trains on the
    first and scores each test user's top-k list (their training items excluded) against the
    second: precision@k, recall@k, MAP@k, NDCG@k, AUC, mean percentile rank (Hu et al. 2008; 0 is
    perfect, 0.5 random) and catalogue coverage.

    Evaluation options:
      --model NAME                      what to evaluate: als, popularity, item-knn, ease (default als)
      --compare                         evaluate ALS, popularity, item-kNN and EASE on the same split
                                        (EASE is left out, with a note, when its matrix does not fit)
      --knn-weighting none|bm25|tfidf   weighting of the matrix for item-kNN (default bm25)
      --neighbours N                    neighbours kept per item for item-kNN (default 100)
      --split random|per-user|time      how test pairs are chosen (default random; time needs timestamps)
      --test-fraction F                 share of pairs held out (default 0.2)
      --test-users N                    hold pairs out from N users drawn at random only (the
                                        rest train whole): scoring a huge log grows with N
      --k K                             cut-off of the top-k metrics (default 10)
      --curve FILE.svg|FILE.csv         ALS only: loss and --metric after every iteration
      --metric NAME                     the curve's metric: map, ndcg, precision, recall, auc, mpr (default map)
      --json                            one JSON object per model instead of a table
      --cold-start-items                with --item-tags FILE: hold out 10% of the tagged artists
                                        with all their plays, train without them, place them from
                                        their tags alone and report how their listeners rank them
                                        (AUC, recall@50) against tag popularity and random order
      --item-tags FILE                  the items' tags (as for encore train)
      --tag-regularization L            λ of the tag map's ridge regression (default 10)
    The split uses --seed too, so the same seed gives the same split and model.

    \(EASEOptions.help)

    \(DataOptions.help)

    \(ModelOptions.help)
    """

    /// The models `evaluate` knows.
    enum ModelKind: String, CaseIterable {
        case als, popularity
        case itemKNN = "item-knn"
        case ease
    }

    static func run(_ arguments: CommandLineArguments) throws {
        if try arguments.flag("--cold-start-items") { return try ColdStartCommand.run(arguments) }
        let compare = try arguments.flag("--compare")
        let kind: ModelKind = try arguments.choice("--model", default: .als)
        let weighting: NeighbourWeighting = try arguments.choice("--knn-weighting", default: .bm25)
        let neighbours = try arguments.int("--neighbours", default: 100, in: 1...100_000)
        let ease = try EASEOptions(arguments)
        let split = try SplitOptions(arguments)
        let curvePath = try arguments.value("--curve")
        let metric: EvaluationMetric = try arguments.choice("--metric", default: .map)
        let json = try arguments.flag("--json")
        let data = try DataOptions(arguments)
        let model = try ModelOptions(arguments)
        let file = try arguments.positionals(["FILE"])[0]
        if let curvePath, !(curvePath.hasSuffix(".svg") || curvePath.hasSuffix(".csv")) {
            throw UsageError("--curve must name a .svg or .csv file (got '\(curvePath)')")
        }
        if curvePath != nil && (kind != .als || compare) { throw UsageError("--curve draws ALS training; drop --model/--compare") }
        if let curvePath { try OutputPath.refuseOverwritingInputs(curvePath, flag: "--curve", inputs: data.inputs(file)) }

        // The rows and the split's own copies of them are let go before anything trains: the
        // evaluator's two matrices are all that is needed after (and the split, for a curve).
        let (evaluator, curveSplit) = try { () throws -> (Evaluator, TrainTestSplit?) in
            let parts = try split.split(data.load(file), seed: model.configuration.seed)
            let evaluator = try Evaluator(split: parts, k: split.k, threads: model.threads)
            if !json { Console.err(split.describe(parts, scored: evaluator.scoredUsers.count)) }
            return (evaluator, curvePath == nil ? nil : parts)
        }()

        var results: [(String, EvaluationResult, Double)] = []
        for candidate in compare ? ModelKind.allCases : [kind] {
            let start = now()
            let recommender: Recommender
            switch candidate {
            case .als:
                if let curvePath, let parts = curveSplit {
                    let curve = try LearningCurve(split: parts, configuration: model.configuration, metric: metric, k: split.k, threads: model.threads) { point in
                        Console.err("iteration \(point.iteration): loss \(String(format: "%.6g", point.loss)), \(metric.label(k: split.k)) \(String(format: "%.4f", point.metric))")
                    }
                    var writer = try AtomicFileWriter(path: curvePath)
                    try writer.write(curvePath.hasSuffix(".svg") ? curve.svg : curve.csv)
                    try writer.commit()
                    Console.err("wrote \(curvePath)")
                }
                recommender = try ImplicitALS(configuration: model.configuration, threads: model.threads).fit(evaluator.train)
            case .popularity:
                recommender = PopularityRecommender(evaluator.train)
            case .itemKNN:
                recommender = ItemKNNRecommender(evaluator.train, weighting: weighting, neighbours: neighbours, threads: model.threads)
            case .ease:
                do {
                    recommender = try ease.fit(evaluator.train, threads: model.threads)
                } catch let error as EncoreError where compare {
                    // A catalogue too large for EASE's dense matrix leaves the other models' comparison standing.
                    Console.err("ease left out: \(error)")
                    continue
                }
            }
            let result = evaluator.evaluate(recommender)
            let label = candidate == .itemKNN ? "item-knn (\(weighting.rawValue))" : candidate == .ease ? ease.label : candidate.rawValue
            results.append((label, result, secondsSince(start)))
        }
        if json {
            for (label, result, seconds) in results { Console.out(jsonLine(label, result, seconds: seconds, split: split)) }
        } else {
            for line in table(results) { Console.out(line) }
        }
    }

    static func jsonLine(_ label: String, _ result: EvaluationResult, seconds: Double, split: SplitOptions) -> String {
        var line = JSONLine()
        line.add("model", label)
        line.add("split", split.strategy.rawValue)
        line.add("test_fraction", split.testFraction)
        line.add("k", result.k)
        line.add("users", result.users)
        line.add("precision", result.precision)
        line.add("recall", result.recall)
        line.add("map", result.map)
        line.add("ndcg", result.ndcg)
        line.add("auc", result.auc)
        line.add("mean_percentile_rank", result.meanPercentileRank)
        line.add("coverage", result.coverage)
        line.add("seconds", seconds)
        return line.text
    }

    static func table(_ results: [(String, EvaluationResult, Double)]) -> [String] {
        let k = results.first?.1.k ?? 10
        var table = TextTable(headers: ["model", "precision@\(k)", "recall@\(k)", "MAP@\(k)", "NDCG@\(k)", "AUC", "MPR", "coverage", "seconds"], rightAligned: Set(1...8))
        for (label, r, seconds) in results {
            table.add([label] + [r.precision, r.recall, r.map, r.ndcg, r.auc, r.meanPercentileRank, r.coverage].map { String(format: "%.4f", $0) } + [String(format: "%.2f", seconds)])
        }
        return table.lines
    }
}

/// The split flags shared by `evaluate` and `tune`.
struct SplitOptions {
    var strategy: SplitStrategy
    var testFraction: Double
    var k: Int
    /// Hold pairs out from this many randomly drawn users only (nil: from everyone).
    var testUsers: Int?

    init(_ arguments: CommandLineArguments) throws {
        strategy = try arguments.choice("--split", default: .random)
        let text = try arguments.value("--test-fraction") ?? "0.2"
        guard let fraction = Double(text), fraction > 0, fraction < 1 else {
            throw UsageError("--test-fraction must be a number between 0 and 1 exclusive (got '\(text)')")
        }
        testFraction = fraction
        k = try arguments.int("--k", default: 10, in: 1...10_000)
        testUsers = arguments.has("--test-users") ? try arguments.int("--test-users", default: 1, in: 1...Int(Int32.max)) : nil
    }

    func split(_ data: Interactions, seed: UInt64) throws -> TrainTestSplit {
        try TrainTestSplit(data, strategy: strategy, testFraction: testFraction, seed: seed, testUsers: testUsers)
    }

    func describe(_ split: TrainTestSplit, scored: Int) -> String {
        "split \(strategy.rawValue), \(Int((testFraction * 100).rounded()))% held out: \(split.train.count) training pairs, \(split.test.count) test pairs, \(scored) users scored"
    }
}
