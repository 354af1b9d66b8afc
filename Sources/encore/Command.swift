import EncoreCLI

/// One `encore` subcommand.
protocol Command {
    /// The word after `encore`.
    static var name: String { get }
    /// One line for `encore help`.
    static var summary: String { get }
    /// The full `--help` text.
    static var usage: String { get }
    /// Runs the command; throws `UsageError` for bad calls and `EncoreError` for failures.
    static func run(_ arguments: CommandLineArguments) throws
}
