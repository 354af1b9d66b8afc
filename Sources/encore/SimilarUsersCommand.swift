import Encore
import EncoreCLI

/// `encore similar-users`: listeners like a given listener.
enum SimilarUsersCommand: Command {
    static let name = "similar-users"
    static let summary = "list the users most similar to a user (cosine of user vectors)"
    static let usage = """
    Usage: encore similar-users MODEL --user ID [--count 10] [--json]

    Prints the listeners whose factor vectors have the largest cosine with the given user's.
    --json prints one {"query", "user", "score"} object per line.
    """

    static func run(_ arguments: CommandLineArguments) throws {
        guard let userID = try arguments.value("--user") else { throw UsageError("--user ID is required") }
        let count = try arguments.int("--count", default: 10, in: 1...1_000_000)
        let json = try arguments.flag("--json")
        let model = try ModelFile.read(from: try arguments.positionals(["MODEL"])[0])
        let list = SimilarUsers.similar(to: try model.userIndex(userID), count: count, in: model)
        if json {
            for entry in list {
                var line = JSONLine()
                line.add("query", userID)
                line.add("user", model.userIDs.id(at: entry.index))
                line.add("score", entry.score)
                Console.out(line.text)
            }
            return
        }
        var table = TextTable(headers: ["rank", "user", "cosine", "items in common"], rightAligned: [0, 2, 3])
        let mine = Set(model.interactions.columns(ofRow: try model.userIndex(userID)))
        for (rank, entry) in list.enumerated() {
            let common = model.interactions.columns(ofRow: entry.index).filter { mine.contains($0) }.count
            table.add(["\(rank + 1)", model.userIDs.id(at: entry.index), String(format: "%.4f", entry.score), "\(common)"])
        }
        for line in table.lines { Console.out(line) }
    }
}
