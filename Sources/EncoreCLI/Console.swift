import Foundation

/// The CLI's only way to write: results to stdout, messages and progress to stderr.
package enum Console {
    /// Writes a line to standard output.
    package static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Writes a line to standard error.
    package static func err(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Rewrites the current stderr line (for progress), when stderr is a terminal.
    package static func progress(_ text: String) {
        if isatty(2) != 0 { FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8)) } else { err(text) }
    }

    /// Ends a progress line on a terminal.
    package static func endProgress() {
        if isatty(2) != 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// Seconds, readably.
    package static func seconds(_ value: Double) -> String {
        value < 1 ? String(format: "%.0f ms", value * 1000) : String(format: "%.2f s", value)
    }
}

/// Seconds elapsed since `start` (from `DispatchTime.now().uptimeNanoseconds`).
package func secondsSince(_ start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

/// Now, for timing.
package func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
