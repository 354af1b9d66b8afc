import Foundation

/// Every failure the library reports, each with a message a person can act on.
public enum EncoreError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A row of an input file could not be used: which file, which 1-based line, and why.
    case invalidRow(file: String, line: Int, reason: String)
    /// An input file held no usable rows.
    case emptyInput(file: String)
    /// A file could not be opened, read or written.
    case io(path: String, reason: String)
    /// A model file is truncated, corrupted, of another version, or not a model file at all.
    case invalidModelFile(path: String, reason: String)
    /// A user ID that the model does not know.
    case unknownUser(String)
    /// An item ID that the model does not know.
    case unknownItem(String)
    /// An item named by a name or ID that matches nothing; `suggestions` are the closest names.
    case itemNotFound(query: String, suggestions: [String])
    /// An item name that matches several items; `matches` lists them as "ID (name)".
    case ambiguousItem(query: String, matches: [String])
    /// An argument or setting outside what the operation accepts.
    case invalidArgument(String)
    /// A parameter outside its range: its name as the API spells it (`factors`, `count`), the
    /// value it was given, and what it must satisfy, worded to follow "must" ("be at least 1").
    case invalidParameter(name: String, value: String, requirement: String)
    /// Training produced a value that is not finite; it is reported, never written.
    case nonFinite(String)

    /// The message a person reads: which file, line or value, and what was wrong.
    public var description: String {
        switch self {
        case let .invalidRow(file, line, reason): return "\(file):\(line): \(reason)"
        case let .emptyInput(file): return "\(file): no interactions found (the file is empty or every row was skipped)"
        case let .io(path, reason): return "\(path): \(reason)"
        case let .invalidModelFile(path, reason): return "\(path): not a usable Encore model file: \(reason)"
        case let .unknownUser(id): return "unknown user '\(id)': the model has no listener with that ID"
        case let .unknownItem(id): return "unknown item '\(id)': the model has no item with that ID"
        case let .itemNotFound(query, suggestions):
            return "no item with ID or name '\(query)'" + (suggestions.isEmpty ? "" : "; closest: \(suggestions.joined(separator: ", "))")
        case let .ambiguousItem(query, matches):
            return "'\(query)' names \(matches.count) items: \(matches.joined(separator: ", ")); give the ID instead"
        case let .invalidArgument(message): return message
        case let .invalidParameter(name, value, requirement): return "\(name) must \(requirement) (got \(value))"
        case let .nonFinite(message): return "training diverged: \(message)"
        }
    }

    /// The same message, for Foundation's `localizedDescription`.
    public var errorDescription: String? { description }
}
