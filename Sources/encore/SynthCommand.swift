import Encore
import EncoreCLI

/// `encore synth`: realistic synthetic play logs for benchmarks.
enum SynthCommand: Command {
    static let name = "synth"
    static let summary = "write a realistic synthetic play log (benchmark workloads)"
    static let usage = """
    Usage: encore synth --users U --items I --mean-per-user M [--seed S] --output FILE

    Writes user<TAB>artist<TAB>plays lines: power-law artist popularity, listeners drawn from 16
    latent tastes, log-normal activity with mean M distinct artists per listener, Pareto play
    counts, 40-hex-digit user IDs and artist-name IDs, rows in random order. The same seed gives
    the same file. The reference workload has the shape of Last.fm 360K:
      encore synth --users 358868 --items 292385 --mean-per-user 50 --seed 1 --output plays.tsv
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
        guard let output = try arguments.value("--output") else { throw UsageError("--output FILE is required") }
        _ = try arguments.positionals([])
        let start = now()
        let generator = try SyntheticPlays(users: users, items: items, meanPerUser: Double(mean), seed: UInt64(seed))
        let rows = try generator.write(to: output)
        Console.err("wrote \(rows) rows (\(users) users × \(items) artists) to \(output) in \(Console.seconds(secondsSince(start)))")
    }
}
