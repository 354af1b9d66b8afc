import Encore
import EncoreCLI

/// `encore synth`: realistic synthetic play logs for benchmarks.
enum SynthCommand: Command {
    static let name = "synth"
    static let summary = "write a realistic synthetic play log (benchmark workloads)"
    static let usage = """
    Usage: encore synth --users U --items I --mean-per-user M [--seed S] [shape options]
                        [--format text|binary] --output FILE

    Writes user<TAB>artist<TAB>plays lines: power-law artist popularity, listeners drawn from 16
    latent tastes, log-normal activity with mean M distinct artists per listener, Pareto play
    counts, 40-hex-digit user IDs and artist-name IDs, rows in random order. The same seed gives
    the same file. The reference workload has the shape of Last.fm 360K:
      encore synth --users 358868 --items 292385 --mean-per-user 50 --seed 1 --output plays.tsv

    --output - writes the text to standard output, for a pipe into `encore import -`: a
    billion rows of text never touch the disk.

    --format binary (the default when FILE ends in .encore-data) writes the same plays as a
    binary play log instead (what `encore import` would make of the text, byte for byte,
    without the text). Either way the generator holds at most 16 bytes a play: the plays
    listener by listener and the order of the shuffled rows, never a list of rows.

    Shape options (the defaults give the reference workload's shape):
      --tastes N                 latent tastes listeners are drawn from (default 16)
      --taste-share F            share of a listener's artists drawn from their taste, the rest
                                 from overall popularity (default 0.7)
      --popularity-exponent Z    Zipf exponent of artist popularity (default 0.9; larger is more skewed)
    """

    static func run(_ arguments: CommandLineArguments) throws {
        for (flag, word) in [("--users", "U"), ("--items", "I"), ("--mean-per-user", "M")] where !arguments.has(flag) {
            throw UsageError("\(flag) \(word) is required")
        }
        let users = try arguments.int("--users", default: 0, in: 1...100_000_000)
        let items = try arguments.int("--items", default: 0, in: 2...100_000_000)
        // The generator's own bounds, checked here so that the message quotes the flag's text.
        let mean = try arguments.float("--mean-per-user", default: 0, in: .from(1, to: Float(items) / 2))
        let seed = try arguments.int("--seed", default: 1, in: 0...Int.max)
        let tastes = try arguments.int("--tastes", default: 16, in: 1...1_000_000)
        let share = try number("--taste-share", arguments, default: 0.7, in: 0...1)
        let exponent = try number("--popularity-exponent", arguments, default: 0.9, in: 0...10)
        guard let output = try arguments.value("--output") else { throw UsageError("--output FILE is required") }
        let format = try arguments.value("--format") ?? (output.hasSuffix(".\(PlayLogFile.fileExtension)") ? "binary" : "text")
        guard format == "text" || format == "binary" else { throw UsageError("--format must be text or binary (got '\(format)')") }
        _ = try arguments.positionals([])
        if output == "-" && format == "binary" { throw UsageError("--format binary needs a file (the log is written atomically); '-' is for text") }
        let start = now()
        var generator = try SyntheticPlays(users: users, items: items, meanPerUser: Double(mean), seed: UInt64(seed))
        generator.tastes = tastes
        generator.tasteShare = share
        generator.popularityExponent = exponent
        let rows: Int
        if format == "binary" {
            let log = try generator.playLog()
            try PlayLogFile.write(log, to: output)
            rows = log.sourceRows
        } else {
            rows = try generator.write(to: output)
        }
        Console.err("wrote \(rows) rows (\(users) users × \(items) artists) to \(output) in \(Console.seconds(secondsSince(start)))")
    }

    /// `--name X` as a number in `range`; an error quotes what was typed.
    static func number(_ name: String, _ arguments: CommandLineArguments, default fallback: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let text = try arguments.value(name) else { return fallback }
        guard let value = Double(text), range.contains(value) else {
            throw UsageError("\(name) must be a number from \(range.lowerBound) to \(range.upperBound) (got '\(text)')")
        }
        return value
    }
}
