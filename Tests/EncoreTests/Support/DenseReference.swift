import Foundation
@testable import Encore

/// Plain, separate implementations used as independent references: dense matrices as [[Double]],
/// Gaussian elimination with partial pivoting, and the ALS objective summed over every cell.
enum DenseReference {
    /// Solves A x = b by Gaussian elimination with partial pivoting.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        let n = b.count
        var m = a
        var rhs = b
        for column in 0..<n {
            var pivot = column
            for row in column..<n where abs(m[row][column]) > abs(m[pivot][column]) { pivot = row }
            m.swapAt(column, pivot)
            rhs.swapAt(column, pivot)
            for row in (column + 1)..<max(column + 1, n) {
                let factor = m[row][column] / m[column][column]
                for c in column..<n { m[row][c] -= factor * m[column][c] }
                rhs[row] -= factor * rhs[column]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = rhs[row]
            for c in (row + 1)..<max(row + 1, n) { s -= m[row][c] * x[c] }
            x[row] = s / m[row][row]
        }
        return x
    }

    /// The confidence-minus-one of DESIGN.md, written out independently.
    static func c1(_ r: Float, _ configuration: ALSConfiguration) -> Double {
        let magnitude = Double(abs(r))
        switch configuration.confidence {
        case .linear: return Double(configuration.alpha) * magnitude
        case .log: return Double(configuration.alpha) * Foundation.log(1 + magnitude / Double(configuration.epsilon))
        }
    }

    /// ν of the row weight (n + α₀·N)^ν: the exponent if set, else 1 for Spark's scaling, 0 for flat.
    static func exponent(_ configuration: ALSConfiguration) -> Double {
        if let exponent = configuration.regularizationExponent { return Double(exponent) }
        return configuration.regularizationScaling == .spark ? 1 : 0
    }

    /// λ·(n + α₀·N)^ν for a row with n positive entries whose other side has N rows.
    static func rowWeight(positives: Int, otherSide: Int, _ configuration: ALSConfiguration) -> Double {
        let frequency = Double(positives) + Double(configuration.unobservedWeight) * Double(otherSide)
        return Double(configuration.regularization) * Foundation.pow(frequency, exponent(configuration))
    }

    /// The exact minimiser of one row's objective, Σ_cells [c (p − xᵀy)² + α₀ (xᵀy)²] + λ s ‖x‖²
    /// (c = 1 for a cell not in `entries`), by setting its gradient to zero cell by cell:
    /// (Σ_cells (c + α₀) y yᵀ + λ s I) x = Σ_cells c p y, built from the rows of `y`.
    static func rowSolution(entries: [(column: Int, value: Float)], y: [[Double]], configuration: ALSConfiguration) -> [Double] {
        let (a, b) = rowSystem(entries: entries, y: y, configuration: configuration)
        return solve(a, b)
    }

    /// The system A x = b whose solution `rowSolution` returns.
    static func rowSystem(entries: [(column: Int, value: Float)], y: [[Double]], configuration: ALSConfiguration) -> (a: [[Double]], b: [Double]) {
        let k = y[0].count
        var a = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        var b = [Double](repeating: 0, count: k)
        var observed = [Int: Float]()
        for entry in entries { observed[entry.column] = entry.value }
        var positives = 0
        for (column, yi) in y.enumerated() {
            let value = observed[column]
            let c = value.map { 1 + c1($0, configuration) } ?? 1
            let p: Double = (value ?? 0) > 0 ? 1 : 0
            if p > 0 { positives += 1 }
            let weight = c + Double(configuration.unobservedWeight)
            for i in 0..<k { for j in 0..<k { a[i][j] += weight * yi[i] * yi[j] } }
            for i in 0..<k { b[i] += c * p * yi[i] }
        }
        let lambda = rowWeight(positives: positives, otherSide: y.count, configuration)
        for i in 0..<k { a[i][i] += lambda }
        return (a, b)
    }

    /// The full objective, summed over every (user, item) cell:
    /// Σ [c (p − s)² + α₀ s²] + Σ_u λ s_u ‖x_u‖² + Σ_i λ s_i ‖y_i‖².
    static func objective(x: [[Double]], y: [[Double]], ratings: [[Float]], configuration: ALSConfiguration) -> Double {
        var total = 0.0
        var userCounts = [Int](repeating: 0, count: x.count), itemCounts = [Int](repeating: 0, count: y.count)
        for u in 0..<x.count {
            for i in 0..<y.count {
                let r = ratings[u][i]
                let c = 1 + c1(r, configuration)
                let p: Double = r > 0 ? 1 : 0
                if r > 0 { userCounts[u] += 1; itemCounts[i] += 1 }
                let s = zip(x[u], y[i]).map { $0 * $1 }.reduce(0, +)
                total += c * (p - s) * (p - s) + Double(configuration.unobservedWeight) * s * s
            }
        }
        for u in 0..<x.count { total += rowWeight(positives: userCounts[u], otherSide: y.count, configuration) * x[u].map { $0 * $0 }.reduce(0, +) }
        for i in 0..<y.count { total += rowWeight(positives: itemCounts[i], otherSide: x.count, configuration) * y[i].map { $0 * $0 }.reduce(0, +) }
        return total
    }

    /// A positive-definite n×n matrix A = L Lᵀ with a known factor L (2..4 on the diagonal,
    /// small integers below), both row-major: every product exact in Double.
    static func knownFactor(n: Int) -> (l: [Double], a: [Double]) {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<i { l[i * n + j] = Double((i * 7 + j * 3) % 5) - 2 }
            l[i * n + i] = Double(2 + i % 3)
        }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for p in 0..<n { a[i * n + j] += l[i * n + p] * l[j * n + p] } } }
        return (l, a)
    }

    /// A DenseMatrix as [[Double]].
    static func rows(_ matrix: DenseMatrix) -> [[Double]] {
        (0..<matrix.rows).map { r in matrix.rowArray(r).map(Double.init) }
    }
}

import Foundation
