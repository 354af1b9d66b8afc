import Foundation

/// One JSON object with keys in the order they were added, written on a single line: the CLI's
/// `--json` output and the HTTP server's responses.
package struct JSONLine {
    /// An empty object.
    package init() {}

    private var parts: [String] = []

    /// Adds a string member.
    package mutating func add(_ key: String, _ value: String?) {
        parts.append("\(JSONLine.quote(key)):\(value.map(JSONLine.quote) ?? "null")")
    }

    /// Adds an integer member.
    package mutating func add(_ key: String, _ value: Int) { parts.append("\(JSONLine.quote(key)):\(value)") }

    /// Adds a number member (non-finite values become null, as JSON has no NaN).
    package mutating func add(_ key: String, _ value: Double) {
        parts.append("\(JSONLine.quote(key)):\(value.isFinite ? "\(value)" : "null")")
    }

    /// Adds a Float member, written with Float's shortest exact digits.
    package mutating func add(_ key: String, _ value: Float) {
        parts.append("\(JSONLine.quote(key)):\(value.isFinite ? "\(value)" : "null")")
    }

    /// Adds a boolean member.
    package mutating func add(_ key: String, _ value: Bool) { parts.append("\(JSONLine.quote(key)):\(value)") }

    /// Adds an array of objects.
    package mutating func add(_ key: String, objects: [JSONLine]) {
        parts.append("\(JSONLine.quote(key)):[" + objects.map(\.text).joined(separator: ",") + "]")
    }

    /// Adds a member whose value is already JSON text.
    package mutating func addRaw(_ key: String, _ json: String) { parts.append("\(JSONLine.quote(key)):\(json)") }

    /// The object as one line.
    package var text: String { "{" + parts.joined(separator: ",") + "}" }

    /// A JSON string literal.
    package static func quote(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
