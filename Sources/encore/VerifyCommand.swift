import Encore
import EncoreCLI
import Foundation

/// `encore verify`: checks every byte of a model file, for whoever wants more than a one-shot
/// command checks (it checks only the chunks it reads; docs/model-file.md).
enum VerifyCommand: Command {
    static let name = "verify"
    static let summary = "check every byte and section of a model file"
    static let usage = """
    Usage: encore verify MODEL

    Checks every checksum of MODEL (each chunk of a version 4 file, the whole-file checksum of an
    older one) and every section's structure, as `serve` and `recommend-all` do when they load it.
    `recommend`, `explain`, `similar` and `radio` check only the chunks they read. Exits 1,
    naming the damaged section, when a check fails.
    """

    static func run(_ arguments: CommandLineArguments) throws {
        let path = try arguments.positionals(["MODEL"])[0]
        let found = try ModelFile.verify(path)
        let layout = found.version >= 4
            ? "\(found.chunks) chunk\(found.chunks == 1 ? "" : "s") in \(found.sections.count) sections (\(found.sections.map(\.title).joined(separator: ", ")))"
            : "one whole-file checksum"
        Console.out("\(path): every check passed: format version \(found.version), \(layout), checksum \(String(format: "%016llx", found.checksum))")
        Console.out("\(found.model.userCount) users, \(found.model.itemCount) items, \(found.model.interactions.nonZeroCount) training entries, k = \(found.model.factors.factors)")
    }
}
