import Encore
import Foundation

/// Full gridify's arithmetic: the partial normal equations of target rows from one process's
/// share of their ratings, and, at the rows' owner, their sum and solve. A record is the upper
/// triangle of Σ c₁ y yᵀ (row by row), then Σ c p y, then Σ c p², all in Double as Spark
/// accumulates them.
final class PartialNormalEquations: @unchecked Sendable {
    let k: Int
    let configuration: ALSConfiguration
    /// Doubles per record.
    var recordLength: Int { k * (k + 1) / 2 + k + 1 }
    /// Rows gathered per SYRK call.
    private static let gatherBlock = 256

    init(k: Int, configuration: ALSConfiguration) {
        self.k = k
        self.configuration = configuration
    }

    /// Writes one record per global target row in `rows` to `output`, from this process's
    /// ratings of it (`byTarget`: global target rows × local source rows) and its source vectors.
    func compute(rows: [Int], byTarget: SparseMatrix, source: DenseMatrix, into output: UnsafeMutablePointer<Double>, threads: Int) {
        let k = self.k, m = recordLength, configuration = self.configuration
        let block = PartialNormalEquations.gatherBlock
        Parallel.forEachChunk(count: rows.count, chunkSize: 16, threads: threads) { chunk, _ in
            let gathered = UnsafeMutablePointer<Double>.allocate(capacity: block * k)
            let full = UnsafeMutablePointer<Double>.allocate(capacity: k * k)
            defer { gathered.deallocate(); full.deallocate() }
            for j in chunk {
                let record = output + j * m
                let rhs = record + k * (k + 1) / 2
                full.update(repeating: 0, count: k * k)
                rhs.update(repeating: 0, count: k + 1)
                var filled = 0
                for p in byTarget.range(ofRow: rows[j]) {
                    let r = byTarget.values[p]
                    let c1 = configuration.confidence.confidenceMinusOne(r, alpha: configuration.alpha, epsilon: configuration.epsilon)
                    let y = source.row(Int(byTarget.indices[p]))
                    if r > 0 {
                        let weight = 1 + Double(c1)
                        for i in 0..<k { rhs[i] += weight * Double(y[i]) }
                        rhs[k] += weight
                    }
                    if c1 > 0 {
                        let scale = Double(c1).squareRoot()
                        let row = gathered + filled * k
                        for i in 0..<k { row[i] = scale * Double(y[i]) }
                        filled += 1
                        if filled == block {
                            BLAS.addGram(gathered, rows: filled, k: k, into: full)
                            filled = 0
                        }
                    }
                }
                BLAS.addGram(gathered, rows: filled, k: k, into: full)
                var t = 0
                for i in 0..<k {
                    for l in i..<k {
                        record[t] = full[i * k + l]
                        t += 1
                    }
                }
            }
        }
    }

    /// Sums the records `received` for the target rows in `window` (local rows; `incoming[s]`
    /// lists, in order, the rows process s sent records for), adds `gram`, solves each row into
    /// `target`, and returns the rows' share of the objective when `withObjective`.
    func solve(
        window: Range<Int>, incoming: [ArraySlice<Int>], received: [Double], gram: [Double], ratings: SparseMatrix,
        target: DenseMatrix, withObjective: Bool, threads: Int, side: String
    ) throws -> Double {
        guard !window.isEmpty else { return 0 }
        let k = self.k, m = recordLength, triangle = k * (k + 1) / 2
        var sums = [Double](repeating: 0, count: window.count * m)
        // In process order, so the sums are the same whatever the thread count.
        var offset = 0
        sums.withUnsafeMutableBufferPointer { sums in
            received.withUnsafeBufferPointer { received in
                for rows in incoming {
                    for row in rows {
                        let into = sums.baseAddress! + (row - window.lowerBound) * m
                        let from = received.baseAddress! + offset
                        for t in 0..<m { into[t] += from[t] }
                        offset += m
                    }
                }
            }
        }
        var terms = [Double](repeating: 0, count: window.count)
        var failed = [Bool](repeating: false, count: window.count)
        let configuration = self.configuration
        sums.withUnsafeBufferPointer { sums in
        gram.withUnsafeBufferPointer { gram in
        terms.withUnsafeMutableBufferPointer { terms in
        failed.withUnsafeMutableBufferPointer { failed in
            Parallel.forEachChunk(count: window.count, chunkSize: 16, threads: threads) { chunk, _ in
                let solver = RowSolver(k: k, configuration: configuration)
                let observed = UnsafeMutablePointer<Double>.allocate(capacity: k * k)
                let matrix = UnsafeMutablePointer<Double>.allocate(capacity: k * k)
                defer { observed.deallocate(); matrix.deallocate() }
                for j in chunk {
                    let record = sums.baseAddress! + j * m
                    var t = 0
                    for i in 0..<k {
                        for l in i..<k {
                            observed[i * k + l] = record[t]
                            observed[l * k + i] = record[t]
                            t += 1
                        }
                    }
                    for e in 0..<(k * k) { matrix[e] = gram[e] + observed[e] }
                    let row = window.lowerBound + j
                    var positives = 0
                    for p in ratings.range(ofRow: row) where ratings.values[p] > 0 { positives += 1 }
                    let x = target.row(row)
                    guard solver.solveNormalEquations(matrix: matrix, rhs: record + triangle, positives: positives, x: x) else {
                        failed[j] = true
                        continue
                    }
                    if withObjective {
                        // xᵀGx + xᵀ(Σ c₁yyᵀ)x − 2xᵀ(Σ cpy) + Σ cp² + λs‖x‖²: DESIGN.md's objective for this row.
                        var quadratic = 0.0, linear = 0.0, norm = 0.0
                        for i in 0..<k {
                            var sum = 0.0
                            for l in 0..<k { sum += matrix[i * k + l] * Double(x[l]) }
                            quadratic += Double(x[i]) * sum
                            linear += Double(x[i]) * record[triangle + i]
                            norm += Double(x[i]) * Double(x[i])
                        }
                        let lambda = Double(configuration.regularization) * (configuration.regularizationScaling == .spark ? Double(positives) : 1)
                        terms[j] = quadratic - 2 * linear + record[triangle + k] + lambda * norm
                    }
                }
            }
        }}}}
        if let bad = failed.firstIndex(of: true) {
            throw EncoreError.nonFinite("the \(side) vector of local row \(window.lowerBound + bad) is not finite (weights too large for Float32 factors?)")
        }
        return terms.reduce(0, +)
    }
}
