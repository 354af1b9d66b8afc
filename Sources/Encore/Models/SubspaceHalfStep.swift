import Foundation

/// The half-step of the subspace solver (iALS++, Rendle et al. 2021): one sweep over the blocks of
/// `blockSize` dimensions, a chunk of rows at a time, each block a step for every row of the
/// chunk before the next block. Taking a block for many rows at once makes the one term that
/// reads all k dimensions, (G x)_B, a single matrix product X·G_{:,B} over the chunk's rows
/// (BLAS, k·|B| per row), where a row at a time it would be a k×k product per row; the rest of a
/// row's step (`SubspaceSolve`) costs n·|B|². Works in the plain basis: it needs no
/// eigendecomposition and no turning of the factors.
extension ImplicitALS {
    /// One subspace half-step: every row of `target` takes one exact step per block against the
    /// fixed `source`, warm-started from its current vector. `ratings`, `side` and
    /// `withObjective` as for `halfStepKeepingEigenbasis`; returns the rows' share of the
    /// objective with `withObjective` (summed per chunk in chunk order), else 0.
    func subspaceHalfStep(
        target turned: TurnedFactors, source turnedSource: TurnedFactors, rows ratings: TrainingRows, side: FactorSide, withObjective: Bool
    ) throws -> Double {
        turnedSource.makePlain(threads: threads)
        turned.makePlain(threads: threads)
        let target = turned.matrix, source = turnedSource.matrix, k = configuration.factors
        let gram = NormalEquations.weightedGram(ImplicitALS.gram(of: source, threads: threads), configuration)
        let gramFloat = gram.map(Float.init)
        let equations = NormalEquations(k: k, configuration: configuration, otherSide: ratings.columnCount)
        let ridges = (0..<ratings.rowCount).map { row in Double(equations.ridge(positives: ratings.positives(ofRow: row))) }
        var scores = observedScores(of: target, against: source, ratings: ratings)
        let width = min(configuration.blockSize, k), blocks = stride(from: 0, to: k, by: width).map { $0..<min(k, $0 + width) }
        // G_BB of every block, one after another (|B|×|B| each, row-major).
        var gramBlocks: [Double] = []
        for block in blocks { for i in block { for l in block { gramBlocks.append(gram[i * k + l]) } } }
        let solvers = SubspaceSolverPool(blockSize: width, rows: SubspaceHalfStepChunk.rows)
        // Rows are independent, so each chunk of rows sweeps every block on its own: one parallel
        // region per half-step, not two per block, and no thread waits for another between blocks.
        scores.withUnsafeMutableBufferPointer { scores in
            gramFloat.withUnsafeBufferPointer { g in
                gramBlocks.withUnsafeBufferPointer { gramBlocks in
                    ratings.withUnsafeRows { entries in
                        Parallel.forEachChunk(count: ratings.rowCount, chunkSize: SubspaceHalfStepChunk.rows, threads: threads) { rows, _ in
                            let solver = solvers.take()
                            defer { solvers.give(back: solver) }
                            var offset = 0
                            for block in blocks {
                                let b = block.count, product = solver.product
                                // (G x)_B of the chunk's rows: X · G_{B,:}ᵀ, G being symmetric.
                                BLAS.multiplyTransposed(target.row(rows.lowerBound), m: rows.count, lda: target.stride, g.baseAddress! + block.lowerBound * k,
                                                        n: b, ldb: k, k: k, into: product, ldc: b)
                                var group = rows.lowerBound
                                while group < rows.upperBound {
                                    let lanes = group..<min(rows.upperBound, group + SubspaceSolve.lanes)
                                    stepGroup(lanes, over: block, solver: solver, target: target, source: source, entries: entries,
                                              gramBlock: gramBlocks.baseAddress! + offset, gx: product + (group - rows.lowerBound) * b,
                                              ridges: ridges, scores: scores.baseAddress!)
                                    group = lanes.upperBound
                                }
                                offset += b * b
                            }
                        }
                    }
                }
            }
        }
        for row in 0..<target.rows {
            if !VectorKernels.allFinite(target.row(row), k) {
                throw EncoreError.nonFinite("the \(side.name) vector of row \(row) is not finite (weights too large for Float32 factors?)")
            }
        }
        guard withObjective else { return 0 }
        return objective(of: target, gram: gramFloat, ratings: ratings, scores: scores)
    }

    /// One block step for each row of `rows` (at most `SubspaceSolve.lanes`), their systems
    /// solved together. `gx` holds (G x)_B of the group's first row and the rest after it.
    private func stepGroup(
        _ rows: Range<Int>, over block: Range<Int>, solver: SubspaceSolve, target: DenseMatrix, source: DenseMatrix,
        entries: UnsafeTrainingRows, gramBlock: UnsafePointer<Double>, gx: UnsafePointer<Float>, ridges: [Double],
        scores: UnsafeMutablePointer<Double>
    ) {
        for (lane, row) in rows.enumerated() {
            // `load` reads the decoded confidences at once, so one scratch serves every lane.
            let (values, confidences) = entries.entries(ofRow: row, scratch: solver.confidenceScratch)
            solver.load(lane: lane, over: block, x: target.row(row), gx: gx + lane * block.count, gramBlock: gramBlock, ridge: ridges[row],
                        columns: entries.columns(ofRow: row), values: values,
                        confidences: confidences, scores: scores + entries.offsets[row], source: source)
        }
        let failed = solver.solveLoaded(count: rows.count)
        for (lane, row) in rows.enumerated() where failed & (1 << lane) == 0 {
            solver.apply(lane: lane, over: block, x: target.row(row), columns: entries.columns(ofRow: row),
                         scores: scores + entries.offsets[row], source: source)
        }
    }

    /// y·x in Double for every observation of `ratings` (row r of `target` against the rows of
    /// `source` its columns name), in the order of its values.
    private func observedScores(of target: DenseMatrix, against source: DenseMatrix, ratings: TrainingRows) -> [Double] {
        var scores = [Double](repeating: 0, count: ratings.indices.count)
        let k = target.columns
        scores.withUnsafeMutableBufferPointer { scores in
            Parallel.forEachChunk(count: ratings.rowCount, chunkSize: ImplicitALS.chunkSize, threads: threads) { rows, _ in
                for row in rows {
                    let x = target.row(row)
                    for p in ratings.range(ofRow: row) {
                        // In Float (the vector kernel): a Double loop here was a quarter of a
                        // half-step on long rows; the steps then keep the scores in Double.
                        scores[p] = Double(VectorKernels.dot(x, source.row(Int(ratings.indices[p])), k))
                    }
                }
            }
        }
        return scores
    }

    /// The rows' share of the objective after a subspace half-step (see
    /// `NormalEquations.objectiveTerm`), from X·G and the kept scores, summed per chunk in order.
    private func objective(
        of target: DenseMatrix, gram: [Float], ratings: TrainingRows, scores: [Double]
    ) -> Double {
        let k = target.columns
        let product = DenseMatrix(rows: target.rows, columns: k)
        var partial = [Double](repeating: 0, count: Parallel.chunkCount(count: ratings.rowCount, chunkSize: ImplicitALS.chunkSize))
        let equations = NormalEquations(k: k, configuration: configuration, otherSide: ratings.columnCount)
        gram.withUnsafeBufferPointer { g in
            Parallel.forEachChunk(count: target.rows, chunkSize: 1024, threads: threads) { rows, _ in
                BLAS.multiplyTransposed(target.row(rows.lowerBound), m: rows.count, lda: target.stride, g.baseAddress!, n: k, ldb: k, k: k,
                                        into: product.row(rows.lowerBound), ldc: product.stride)
            }
        }
        partial.withUnsafeMutableBufferPointer { partial in
            ratings.withUnsafeRows { entries in
                Parallel.forEachChunk(count: ratings.rowCount, chunkSize: ImplicitALS.chunkSize, threads: threads) { rows, chunk in
                    var sum = 0.0
                    let scratch = ConfidenceScratch()
                    for row in rows {
                        let x = target.row(row), range = ratings.range(ofRow: row)
                        let rowScores = range.map { Float(scores[$0]) }, (values, confidences) = entries.entries(ofRow: row, scratch: scratch)
                        // With no observations (the only case without confidences) neither pointer is read.
                        sum += rowScores.withUnsafeBufferPointer { rowScores in
                            equations.objectiveTerm(quadratic: Double(VectorKernels.dot(x, product.row(row), k)), values: values,
                                                    scores: rowScores.baseAddress ?? UnsafePointer(x), confidences: confidences ?? UnsafePointer(x),
                                                    normSquared: VectorKernels.dot(x, x, k))
                        }
                    }
                    partial[chunk] = sum
                }
            }
        }
        return partial.reduce(0, +)
    }
}

/// The rows a chunk of the subspace half-step sweeps together.
private enum SubspaceHalfStepChunk {
    /// Enough for the chunk's X·G_{:,B} to be an efficient matrix product, few enough for its
    /// result (rows × |B|) to stay in cache.
    static let rows = 256
}

/// Subspace steppers for the threads of one half-step (as `RowSolverPool` for row solvers).
private final class SubspaceSolverPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [SubspaceSolve] = []
    private let blockSize: Int, rows: Int

    init(blockSize: Int, rows: Int) {
        self.blockSize = blockSize
        self.rows = rows
    }

    func take() -> SubspaceSolve {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast() ?? SubspaceSolve(blockSize: blockSize, rows: rows)
    }

    func give(back solver: SubspaceSolve) {
        lock.lock()
        idle.append(solver)
        lock.unlock()
    }
}
