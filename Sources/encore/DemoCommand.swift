import Encore
import EncoreCLI

/// `encore demo`: the seed notebook, with no input files.
enum DemoCommand: Command {
    static let name = "demo"
    static let summary = "train on the seed notebook's 7 plays and print recommendForAllUsers(3)"
    static let usage = """
    Usage: encore demo [--threads N]

    Reproduces the seed notebook: the plays (userId, songId, playCount) = (0,10,3) (0,20,1)
    (0,30,2) (1,10,4) (1,30,1) (2,20,5) (2,30,3), ALS(rank=10, maxIter=10, regParam=0.1,
    implicitPrefs=True, alpha=1.0) with Spark's regularization scaling, then
    recommendForAllUsers(3) printed as Spark's show(truncate=False) prints it. Like Spark's
    recommendForAllUsers, the lists include songs the user already played.
    """

    /// The seed notebook's rows.
    static let plays: [(user: String, item: String, weight: Float)] = [
        ("0", "10", 3), ("0", "20", 1), ("0", "30", 2), ("1", "10", 4), ("1", "30", 1), ("2", "20", 5), ("2", "30", 3),
    ]

    static func run(_ arguments: CommandLineArguments) throws {
        let threads = try arguments.int("--threads", default: Parallel.defaultThreadCount, in: 1...1024)
        _ = try arguments.positionals([])
        let data = try Interactions(triples: plays)
        // The notebook sets rank, maxIter, regParam, alpha and implicitPrefs; everything else is Spark's default.
        var configuration = ALSConfiguration.sparkDefaults
        configuration.factors = 10
        configuration.iterations = 10
        configuration.regularization = 0.1
        configuration.alpha = 1.0
        configuration.seed = 42
        let start = now()
        let model = try TrainedModel.train(data, configuration: configuration, threads: threads, source: "demo")
        var lines: [(String, String)] = []
        try BatchRecommender(users: model.factors.userFactors, items: model.factors.itemFactors, seen: nil, threads: threads)
            .recommend(count: 3) { user, list in
                let cells = list.map { "{\(model.itemIDs.id(at: $0.index)), \($0.score)}" }.joined(separator: ", ")
                lines.append((model.userIDs.id(at: user), "[\(cells)]"))
            }
        let total = secondsSince(start)
        Console.out("Encore demo: 7 plays by 3 users of 3 songs; implicit ALS rank=10, maxIter=10, regParam=0.1,")
        Console.out("alpha=1.0, Spark regularization scaling, Cholesky solver; recommendForAllUsers(3), seen songs included.")
        Console.out("")
        for line in sparkTable(header: ("userId", "recommendations"), rows: lines.sorted { Int($0.0)! < Int($1.0)! }) { Console.out(line) }
        Console.out("")
        Console.out("Trained \(configuration.iterations) iterations in \(Console.seconds(model.summary.trainSeconds)) (final loss \(String(format: "%.4f", model.summary.lossHistory.last ?? .nan))); whole demo \(Console.seconds(total)).")
    }

    /// The table Spark's `DataFrame.show(truncate=False)` prints for two columns.
    static func sparkTable(header: (String, String), rows: [(String, String)]) -> [String] {
        let first = max(header.0.count, rows.map(\.0.count).max() ?? 0)
        let second = max(header.1.count, rows.map(\.1.count).max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: width - text.count) }
        let rule = "+" + String(repeating: "-", count: first) + "+" + String(repeating: "-", count: second) + "+"
        return [rule, "|\(pad(header.0, first))|\(pad(header.1, second))|", rule]
            + rows.map { "|\(pad($0.0, first))|\(pad($0.1, second))|" } + [rule]
    }
}
