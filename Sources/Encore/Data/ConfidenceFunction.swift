import Foundation

/// How a raw weight r becomes confidence c = 1 + α·g(r).
public enum ConfidenceFunction: String, Codable, Sendable, CaseIterable {
    /// g(r) = r — Spark's and the paper's default.
    case linear
    /// g(r) = log(1 + r/ε) — the paper's alternative for heavy-tailed play counts.
    case log

    /// α·g(|r|), i.e. confidence minus one. Spark uses |r| so confidence is never below one.
    @inline(__always)
    package func confidenceMinusOne(_ weight: Float, alpha: Float, epsilon: Float) -> Float {
        let r = abs(weight)
        switch self {
        case .linear: return alpha * r
        case .log: return alpha * Foundation.log1p(r / epsilon)
        }
    }
}
