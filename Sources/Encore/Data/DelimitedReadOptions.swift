/// Which column of a delimited file holds a field: by 0-based position or by header name.
public enum ColumnSelector: Equatable, Sendable, CustomStringConvertible {
    /// The column at this 0-based position.
    case index(Int)
    /// The column whose header cell equals this name (case-insensitive).
    case name(String)

    /// Parses a command-line value: digits select by position, anything else by header name.
    public init(parsing text: String) {
        if let position = Int(text), position >= 0 { self = .index(position) } else { self = .name(text) }
    }

    /// How the column is named in messages: "column 2" or "column 'plays'".
    public var description: String {
        switch self {
        case let .index(position): return "column \(position)"
        case let .name(name): return "column '\(name)'"
        }
    }
}

/// How fields are separated.
public enum FieldDelimiter: Equatable, Sendable {
    /// Decided from the first line: tab, then "::", then comma, then semicolon.
    case auto
    /// This exact byte sequence (a tab, a comma, "::", …).
    case exactly(String)
}

/// Whether the first line is a header.
public enum HeaderMode: Equatable, Sendable {
    /// Decided from the first line: a header when its weight (or timestamp) cell is not a number,
    /// or when any column is selected by name.
    case auto
    /// The first line is a header.
    case present
    /// Every line is data.
    case absent
}

/// Everything the delimited-text reader needs to know about a file's layout.
public struct DelimitedReadOptions: Equatable, Sendable {
    /// Field separator.
    public var delimiter: FieldDelimiter = .auto
    /// Header handling.
    public var header: HeaderMode = .auto
    /// Column with the user ID.
    public var userColumn: ColumnSelector = .index(0)
    /// Column with the item ID.
    public var itemColumn: ColumnSelector = .index(1)
    /// Column with the weight; nil when every row counts as one play (summed per pair).
    public var weightColumn: ColumnSelector? = .index(2)
    /// Column with a Unix-seconds or ISO-8601 timestamp, if any.
    public var timestampColumn: ColumnSelector?
    /// Skip rows with a missing field or an unusable weight instead of failing.
    public var skipInvalid = false
    /// Keep spaces and tabs around user and item IDs. By default they are trimmed (and counted
    /// in the `ReadReport`): "65  " is a typo for artist "65", not an artist of its own.
    public var keepIDWhitespace = false
    /// What the user and item columns hold, as messages name them: a tag file's rows are
    /// (item, tag), and "the user ID field is empty" would send its reader to the wrong column.
    package var roles = ColumnRoles()

    /// The defaults: auto delimiter and header, columns 0, 1, 2.
    public init() {}
}

/// The names a reader's messages give the ID columns it reads as user and item.
package struct ColumnRoles: Equatable, Sendable {
    /// The first ID column: "user" for plays, "item" for tags.
    package var user = "user"
    /// The second ID column: "item" for plays, "tag" for tags.
    package var item = "item"

    /// Roles with the given names (the defaults: user and item).
    package init(user: String = "user", item: String = "item") {
        self.user = user
        self.item = item
    }
}
