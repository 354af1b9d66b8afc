import Encore
import Foundation

/// The library names its parameters as Swift spells them (`cgSteps`); the CLI names them by
/// their flags (`--cg-steps`). This turns one into the other for the CLI's own messages.
package enum ParameterFlags {
    /// The flag of a library parameter: `cgSteps` → `--cg-steps`.
    package static func flag(for parameter: String) -> String {
        if let named = namedOtherwise[parameter] { return named }
        var flag = "--"
        for character in parameter {
            if character.isUppercase { flag += "-" + character.lowercased() } else { flag.append(character) }
        }
        return flag
    }

    /// Parameters whose flag is not their spelled-out name.
    private static let namedOtherwise = ["initialScale": "--init-scale"]

    /// `configuration.validate()`, its `invalidParameter` error reworded with flags as a usage
    /// error (exit status 2, like any other out-of-range flag value).
    package static func validate(_ configuration: ALSConfiguration) throws {
        do {
            try configuration.validate()
        } catch let EncoreError.invalidParameter(name, value, requirement) {
            let flagged = requirement.replacingOccurrences(of: "nonnegative", with: "--nonnegative")
            throw UsageError("\(flag(for: name)) must \(flagged) (got \(value))")
        }
    }
}
