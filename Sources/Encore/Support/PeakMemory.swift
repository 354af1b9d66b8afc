import Foundation

/// The process's peak resident memory so far (Linux's VmHWM, what `/usr/bin/time -v` reports as
/// its maximum resident set size at exit), so a long command can say what each stage cost.
package enum PeakMemory {
    /// Peak resident bytes so far, or nil where /proc/self/status has no VmHWM line.
    package static func residentBytes() -> Int? { statusField("VmHWM:") }

    /// Resident bytes now (VmRSS), or nil where unknown.
    package static func currentBytes() -> Int? { statusField("VmRSS:") }

    private static func statusField(_ name: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }

    /// "peak RSS 1.23 GB (68.4 B/play)" for `plays` plays, or "" when unknown.
    package static func summary(plays: Int) -> String {
        guard let bytes = residentBytes() else { return "" }
        let perPlay = plays > 0 ? String(format: " (%.1f B/play)", Double(bytes) / Double(plays)) : ""
        let now = currentBytes().map { String(format: ", now %.2f GB", Double($0) / 1e9) } ?? ""
        return String(format: "peak RSS %.2f GB", Double(bytes) / 1e9) + perPlay + now
    }
}
