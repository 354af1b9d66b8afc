/// A small command-line parser: options are taken by name (`--name value`, `--name=value` or a
/// bare `--flag`), and whatever is left must be the expected positional arguments, so an
/// unknown or misspelt option is an error rather than silently ignored.
package final class CommandLineArguments {
    private var tokens: [String]
    private var inlineValues: [Int: String] = [:]
    /// The subcommand these arguments belong to, for messages.
    package let command: String
    /// The program name, for messages (`encore`, `encore-mpi`).
    package let program: String

    /// The arguments after the subcommand's name, for `program command`.
    package init(command: String, _ arguments: [String], program: String = "encore") {
        self.command = command
        self.program = program
        var tokens: [String] = []
        for argument in arguments {
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                inlineValues[tokens.count] = String(argument[argument.index(after: equals)...])
                tokens.append(String(argument[..<equals]))
            } else {
                tokens.append(argument)
            }
        }
        self.tokens = tokens
    }

    /// True when `--help` or `-h` was given.
    package func wantsHelp() -> Bool { tokens.contains("--help") || tokens.contains("-h") }

    /// The value of `--name VALUE` without removing it (nil when absent).
    package func peek(_ name: String) throws -> String? {
        guard let position = tokens.firstIndex(of: name) else { return nil }
        if let inline = inlineValues[position] { return inline }
        guard position + 1 < tokens.count else { throw UsageError("\(name) needs a value") }
        return tokens[position + 1]
    }

    /// True when `name` is present, without removing it.
    package func has(_ name: String) -> Bool { tokens.contains(name) }

    /// Removes a bare flag; true if it was present.
    package func flag(_ name: String) throws -> Bool {
        guard let position = tokens.firstIndex(of: name) else { return false }
        if let value = inlineValues[position] {
            throw UsageError("\(name) takes no value (got '\(value)')")
        }
        remove(at: position, count: 1)
        return true
    }

    /// Removes every occurrence of `--name VALUE` and returns the values in order.
    package func values(_ name: String) throws -> [String] {
        var found: [String] = []
        while let position = tokens.firstIndex(of: name) {
            if let inline = inlineValues[position] {
                found.append(inline)
                remove(at: position, count: 1)
            } else {
                guard position + 1 < tokens.count else { throw UsageError("\(name) needs a value") }
                found.append(tokens[position + 1])
                remove(at: position, count: 2)
            }
        }
        return found
    }

    /// Removes `--name VALUE` and returns the value; giving it twice is an error.
    package func value(_ name: String) throws -> String? {
        let found = try values(name)
        guard found.count <= 1 else { throw UsageError("\(name) was given \(found.count) times") }
        return found.first
    }

    /// `--name N` as a whole number in `range`.
    package func int(_ name: String, default fallback: Int, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        guard let text = try value(name) else { return fallback }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("\(name) must be a whole number\(describe(range)) (got '\(text)')")
        }
        return number
    }

    /// `--name X` as a finite number within `range`. The range is checked here, where the text
    /// is at hand, so the message quotes what was typed (`(got '-1')`, not the parsed `-1.0`)
    /// and the call exits as the usage error it is.
    package func float(_ name: String, default fallback: Float, in range: NumberRange = .any) throws -> Float {
        guard let text = try value(name) else { return fallback }
        guard let number = Float(text), number.isFinite, range.contains(number) else {
            throw UsageError("\(name) must be a number\(range.description) (got '\(text)')")
        }
        return number
    }

    /// `--name X` as one of an enumeration's raw values.
    package func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T) throws -> T where T.RawValue == String {
        guard let text = try value(name) else { return fallback }
        guard let choice = T(rawValue: text) else {
            throw UsageError("\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(text)')")
        }
        return choice
    }

    /// The remaining positional arguments, after every option has been taken; any leftover
    /// option is reported as unknown.
    package func positionals(_ names: [String]) throws -> [String] {
        if let unknown = tokens.first(where: { $0.hasPrefix("--") && $0.count > 2 }) {
            throw UsageError("unknown option \(unknown) for '\(program) \(command)' (see '\(program) \(command) --help')")
        }
        guard tokens.count == names.count else {
            if tokens.count < names.count {
                throw UsageError("missing \(names[tokens.count]) (usage: see '\(program) \(command) --help')")
            }
            throw UsageError("unexpected argument '\(tokens[names.count])' for '\(program) \(command)'")
        }
        return tokens
    }

    private func remove(at position: Int, count: Int) {
        tokens.removeSubrange(position..<(position + count))
        var shifted: [Int: String] = [:]
        for (index, value) in inlineValues where index != position {
            shifted[index > position ? index - count : index] = value
        }
        inlineValues = shifted
    }

    private func describe(_ range: ClosedRange<Int>) -> String {
        switch (range.lowerBound, range.upperBound) {
        case (Int.min, Int.max): return ""
        case (let low, Int.max): return " ≥ \(low)"
        default: return " from \(range.lowerBound) to \(range.upperBound)"
        }
    }
}

/// The values a number option accepts, with how a message says so.
package enum NumberRange: Sendable {
    /// Any finite number.
    case any
    /// At least this.
    case atLeast(Float)
    /// Greater than this.
    case above(Float)
    /// From one to the other, both included.
    case from(Float, to: Float)

    /// Whether `value` is accepted.
    package func contains(_ value: Float) -> Bool {
        switch self {
        case .any: return true
        case let .atLeast(low): return value >= low
        case let .above(low): return value > low
        case let .from(low, high): return value >= low && value <= high
        }
    }

    /// " ≥ 0", " > 0", " from 0 to 1", or "" — what follows "must be a number".
    package var description: String {
        func text(_ value: Float) -> String { value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : "\(value)" }
        switch self {
        case .any: return ""
        case let .atLeast(low): return " ≥ \(text(low))"
        case let .above(low): return " > \(text(low))"
        case let .from(low, high): return " from \(text(low)) to \(text(high))"
        }
    }
}

/// A mistake in how a command was called; exits with status 2.
package struct UsageError: Error, CustomStringConvertible {
    /// What was wrong with the call.
    package let description: String
    /// A usage error with this message.
    package init(_ description: String) { self.description = description }
}
