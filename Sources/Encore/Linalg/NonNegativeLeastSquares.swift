/// Lawson–Hanson active-set solver for min ½xᵀAx − bᵀx subject to x ≥ 0, working directly on
/// the normal equations (A symmetric positive definite, k×k, Double, row-major). It is what
/// `--nonnegative` uses in place of the plain Cholesky solve, as Spark's NNLS option does.
package struct NonNegativeLeastSquares {
    private let k: Int
    private var passive: [Bool]
    private var z: [Double]
    private var w: [Double]
    private var sub: [Double]
    private var rhs: [Double]
    private var indices: [Int]

    /// A solver for systems of size `k`, with its scratch space allocated once.
    package init(k: Int) {
        self.k = k
        passive = Array(repeating: false, count: k)
        z = Array(repeating: 0, count: k)
        w = Array(repeating: 0, count: k)
        sub = Array(repeating: 0, count: k * k)
        rhs = Array(repeating: 0, count: k)
        indices = []
        indices.reserveCapacity(k)
    }

    /// Solves into `x` (k values). A and b are read, not modified.
    package mutating func solve(a: UnsafePointer<Double>, b: UnsafePointer<Double>, x: UnsafeMutablePointer<Double>) {
        let tolerance = 1e-12
        for j in 0..<k { x[j] = 0; passive[j] = false }
        var outer = 0
        while outer < 3 * k {
            outer += 1
            gradient(a: a, b: b, x: x)
            var best = -1
            var bestValue = tolerance
            for j in 0..<k where !passive[j] && w[j] > bestValue { best = j; bestValue = w[j] }
            if best < 0 { break }
            passive[best] = true
            var inner = 0
            while inner < 3 * k {
                inner += 1
                if !solvePassive(a: a, b: b) { passive[best] = false; return }
                var alpha = Double.infinity
                for j in 0..<k where passive[j] && z[j] <= tolerance {
                    let step = x[j] / (x[j] - z[j])
                    if step < alpha { alpha = step }
                }
                if alpha == .infinity {
                    for j in 0..<k { x[j] = passive[j] ? z[j] : 0 }
                    break
                }
                for j in 0..<k where passive[j] {
                    x[j] += alpha * (z[j] - x[j])
                    if x[j] <= tolerance { x[j] = 0; passive[j] = false }
                }
            }
        }
    }

    /// w = b − A x, the negative gradient.
    private mutating func gradient(a: UnsafePointer<Double>, b: UnsafePointer<Double>, x: UnsafeMutablePointer<Double>) {
        for i in 0..<k {
            var s = b[i]
            for j in 0..<k { s -= a[i * k + j] * x[j] }
            w[i] = s
        }
    }

    /// z = solution of A restricted to the passive set (zero elsewhere); false if singular.
    private mutating func solvePassive(a: UnsafePointer<Double>, b: UnsafePointer<Double>) -> Bool {
        indices.removeAll(keepingCapacity: true)
        for j in 0..<k where passive[j] { indices.append(j) }
        let n = indices.count
        for r in 0..<n {
            rhs[r] = b[indices[r]]
            for c in 0..<n { sub[r * n + c] = a[indices[r] * k + indices[c]] }
        }
        let solved = sub.withUnsafeMutableBufferPointer { s in
            rhs.withUnsafeMutableBufferPointer { r in DenseCholesky.solve(s.baseAddress!, r.baseAddress!, n: n) }
        }
        guard solved else { return false }
        for j in 0..<k { z[j] = 0 }
        for r in 0..<n { z[indices[r]] = rhs[r] }
        return true
    }
}
