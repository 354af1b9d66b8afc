import Encore
import EncoreCLI
import Foundation

/// `encore recommend-all`: top-N for every user, as TSV or JSON lines.
enum RecommendAllCommand: Command {
    static let name = "recommend-all"
    static let summary = "write top-N recommendations for every user as user<TAB>item<TAB>score (or JSON lines)"
    static let usage = """
    Usage: encore recommend-all MODEL [--count 10] [--output FILE] [--names | --json] [--include-seen]
                               [--users FILE] [--exclude FILE] [--only FILE] [--threads N] [--quiet]
                               [--exact | --approximate]

    Writes user<TAB>item<TAB>score lines, best first per user, users in model order (or in the
    order of --users FILE, one user ID per line), with the original IDs; each user's training
    items are left out unless --include-seen. --names adds the item's name as a fourth column
    (empty where the data set has none for it; tabs and line breaks in a name become spaces).
    --json writes one object per user instead:
      {"user": ID, "recommendations": [{"item": ID, "score": S[, "name": NAME]}, …]}
    with the name where known. With --output the file is written atomically (no partial file on
    failure); otherwise to stdout. Output is written as it is made, a megabyte at a time, so
    memory does not grow with the number of users; for 100,000 users or more a progress line
    (users/s, time left) goes to stderr every few seconds, unless --quiet.
    \(FilterOptions.help)
    \(IndexOptions.help)
    """

    static func run(_ arguments: CommandLineArguments) throws {
        let count = try arguments.int("--count", default: 10, in: 1...1_000_000)
        let output = try arguments.value("--output")
        let includeSeen = try arguments.flag("--include-seen")
        let json = try arguments.flag("--json")
        let names = try arguments.flag("--names")
        let quiet = try arguments.flag("--quiet")
        if json && names { throw UsageError("--names is for the TSV output; --json lines carry names already") }
        let threads = try arguments.int("--threads", default: Parallel.defaultThreadCount, in: 1...1024)
        let usersPath = try arguments.value("--users")
        let filters = try FilterOptions(arguments)
        let indexOptions = try IndexOptions(arguments)
        let path = try arguments.positionals(["MODEL"])[0]
        if let output {
            try OutputPath.refuseOverwritingInputs(output, inputs: [("model", path)] + (usersPath.map { [("--users file", $0)] } ?? []) + filters.inputs)
        }
        let (model, index) = try indexOptions.load(path, batch: true)
        if names && model.itemNames == nil {
            throw EncoreError.invalidArgument("\(path) has no item names (its data set had none), so --names cannot add them")
        }
        let filter = try filters.filter(for: model)
        let userList = try usersPath.map { try readUsers($0, model) }
        let start = now()
        let seen = includeSeen ? nil : model.interactions
        let recommendAll: ((Int, [ScoredItem]) throws -> Void) throws -> Void = { emit in
            if let index {
                try index.recommendAll(model, count: count, userList: userList, seen: seen, filter: filter, threads: threads, emit: emit)
            } else {
                try BatchRecommender(
                    users: model.factors.userFactors, items: model.factors.itemFactors, seen: seen,
                    candidates: filter.isEverything ? nil : filter.mask(itemCount: model.itemCount), ordered: model.normOrderedItems, threads: threads
                ).recommend(count: count, userList: userList, emit: emit)
            }
        }
        var progress = UserProgress(total: userList?.count ?? model.userCount, start: start, shown: !quiet)
        try BulkTextOutput.write(to: output) { out in
            try recommendAll { user, list in
                progress.advance()
                let userID = model.userIDs.id(at: user)
                if json {
                    var line = JSONLine()
                    line.add("user", userID)
                    line.add("recommendations", objects: list.map { entry in
                        var item = JSONLine()
                        item.add("item", model.itemIDs.id(at: entry.index))
                        item.add("score", entry.score)
                        if let name = model.name(ofItem: entry.index) { item.add("name", name) }
                        return item
                    })
                    out.append(line.text + "\n")
                } else {
                    for entry in list {
                        out.append("\(userID)\t\(model.itemIDs.id(at: entry.index))\t\(entry.score)")
                        if names { out.append("\t" + tsvCell(model.name(ofItem: entry.index) ?? "")) }
                        out.append("\n")
                    }
                }
                try out.endRecord()
            }
        }
        progress.finish()
        if let output {
            let path = index == nil ? "exactly" : "from the index"
            Console.err("wrote \(count) recommendations for each of \(userList?.count ?? model.userCount) users to \(output) in \(Console.seconds(secondsSince(start))) (\(path))")
        }
    }

    /// A progress line on stderr every few seconds while many users are recommended for.
    struct UserProgress {
        let total: Int
        let start: UInt64
        let shown: Bool
        private var done = 0
        private var lastShown: UInt64

        init(total: Int, start: UInt64, shown: Bool) {
            self.total = total
            self.start = start
            self.shown = shown && total >= 100_000
            lastShown = start
        }

        mutating func advance() {
            done += 1
            guard shown, done % 4096 == 0 else { return }
            let time = now()
            guard time - lastShown > 2_000_000_000 else { return }
            lastShown = time
            let seconds = secondsSince(start), rate = Double(done) / seconds
            Console.progress(String(format: "recommended for %d of %d users (%.0f%%) · %.0f users/s · %.0f s left",
                                    done, total, 100 * Double(done) / Double(total), rate, Double(total - done) / rate))
        }

        func finish() { if shown && lastShown != start { Console.endProgress() } }
    }

    /// `text` as one TSV cell: a tab or line break in it would end the cell or the row.
    static func tsvCell(_ text: String) -> String {
        guard text.contains(where: { $0 == "\t" || $0.isNewline }) else { return text }
        return String(text.map { $0 == "\t" || $0.isNewline ? " " : $0 })
    }

    /// One user ID per line; an unknown one is an error naming the file and line.
    static func readUsers(_ path: String, _ model: TrainedModel) throws -> [Int] {
        var users: [Int] = []
        for (number, line) in try FilterOptions.lines(path).enumerated() {
            let id = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
            if id.isEmpty { continue }
            guard let user = model.userIDs.index(of: id) else { throw EncoreError.invalidRow(file: path, line: number + 1, reason: EncoreError.unknownUser(id).description) }
            users.append(user)
        }
        return users
    }
}
