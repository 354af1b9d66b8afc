import Encore
import Foundation

/// Full gridify's routing of the solver core's pieces: the partial normal equations of target
/// rows from one process's share of their ratings (`RowSolver.accumulate`), and, at the rows'
/// owner, their sum in process order and solve (`RowSolver.solve(record:…)`). The arithmetic —
/// what a record holds (`NormalEquations.Record`), the ridge, the objective — is the core's.
final class PartialNormalEquations: @unchecked Sendable {
    let k: Int
    let configuration: ALSConfiguration
    /// Doubles per record.
    var recordLength: Int { NormalEquations.Record.length(k: k) }
    /// Rows per task: a record is k²/2 Doubles, so a few rows make a task worth handing out.
    private static let chunkRows = 16

    init(k: Int, configuration: ALSConfiguration) {
        self.k = k
        self.configuration = configuration
    }

    /// Writes one record per global target row in `rows` to `output`, from this process's
    /// ratings of it (`byTarget`: global target rows × local source rows) and its source vectors.
    func compute(rows: [Int], byTarget: SparseMatrix, source: DenseMatrix, into output: UnsafeMutablePointer<Double>, threads: Int) {
        let m = recordLength, solvers = RowSolverPool(k: k, configuration: configuration)
        byTarget.indices.withUnsafeBufferPointer { indices in
            byTarget.values.withUnsafeBufferPointer { values in
                Parallel.forEachChunk(count: rows.count, chunkSize: PartialNormalEquations.chunkRows, threads: threads) { chunk, _ in
                    let solver = solvers.take()
                    defer { solvers.give(back: solver) }
                    for j in chunk {
                        let range = byTarget.range(ofRow: rows[j])
                        solver.accumulate(columns: UnsafeBufferPointer(rebasing: indices[range]), values: UnsafeBufferPointer(rebasing: values[range]),
                                          source: source, into: output + j * m)
                    }
                }
            }
        }
    }

    /// Sums the records `received` for the target rows in `window` (local rows; `incoming[s]`
    /// lists, in order, the rows process s sent records for), solves each row into `target`
    /// with `gram` added, and returns the rows' share of the objective when `withObjective`.
    func solve(
        window: Range<Int>, incoming: [ArraySlice<Int>], received: [Double], gram: [Double], ratings: SparseMatrix,
        target: DenseMatrix, withObjective: Bool, threads: Int, side: FactorSide
    ) throws -> Double {
        guard !window.isEmpty else { return 0 }
        let sums = sum(window: window, incoming: incoming, received: received)
        let m = recordLength, solvers = RowSolverPool(k: k, configuration: configuration)
        var terms = [Double](repeating: 0, count: window.count)
        var failed = [Bool](repeating: false, count: window.count)
        sums.withUnsafeBufferPointer { sums in
        gram.withUnsafeBufferPointer { gram in
        ratings.values.withUnsafeBufferPointer { values in
        terms.withUnsafeMutableBufferPointer { terms in
        failed.withUnsafeMutableBufferPointer { failed in
            Parallel.forEachChunk(count: window.count, chunkSize: PartialNormalEquations.chunkRows, threads: threads) { chunk, _ in
                let solver = solvers.take()
                defer { solvers.give(back: solver) }
                for j in chunk {
                    let row = window.lowerBound + j
                    let term = solver.solve(record: sums.baseAddress! + j * m, gram: gram.baseAddress!,
                                            values: UnsafeBufferPointer(rebasing: values[ratings.range(ofRow: row)]),
                                            x: target.row(row), withObjective: withObjective)
                    if let term { terms[j] = term } else { failed[j] = true }
                }
            }
        }}}}}
        if let bad = failed.firstIndex(of: true) {
            throw EncoreError.nonFinite("the \(side.name) vector of local row \(window.lowerBound + bad) is not finite (weights too large for Float32 factors?)")
        }
        return terms.reduce(0, +)
    }

    /// The records of `window`'s rows summed, in process order so the sums are the same
    /// whatever the thread count.
    private func sum(window: Range<Int>, incoming: [ArraySlice<Int>], received: [Double]) -> [Double] {
        let m = recordLength
        var sums = [Double](repeating: 0, count: window.count * m)
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
        return sums
    }
}
