import Foundation

/// Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren & Volinsky
/// 2008), exactly as DESIGN.md states it: each iteration solves every item, then every user.
package struct ImplicitALS: Sendable {
    /// The hyperparameters.
    package var configuration: ALSConfiguration
    /// Threads to use; results do not depend on it.
    package var threads: Int
    /// Rows per work chunk; fixed so that per-chunk sums combine the same way on any thread count.
    static let chunkSize = 64

    /// A trainer with the given settings.
    package init(configuration: ALSConfiguration = ALSConfiguration(), threads: Int = Parallel.defaultThreadCount) {
        self.configuration = configuration
        self.threads = max(1, threads)
    }

    /// Learns factors from a users × items matrix of raw weights (play counts).
    /// `progress` is called after each iteration.
    ///
    /// With `checkpoint`, resumes from the checkpoint of the same job in its folder, if there is
    /// one (`resumed` is told the iteration it was saved after), and saves one after every
    /// `checkpoint.every` iterations: the factors, and the state training keeps them in (each
    /// side's vectors in its eigenbasis, and the basis), so that a run stopped and resumed ends
    /// bit for bit where a run without a stop does. A checkpoint with plain factors only (as
    /// `encore-mpi` writes) resumes from them.
    package func fit(
        _ userItems: SparseMatrix, checkpoint: CheckpointSettings? = nil, resumed: ((TrainingCheckpoint) -> Void)? = nil,
        progress: ((ALSIterationReport) -> Void)? = nil
    ) throws -> FactorModel {
        try configuration.validate()
        BLAS.ensureSingleThreaded()
        for value in userItems.values where !value.isFinite {
            throw EncoreError.invalidArgument("the training matrix holds a non-finite weight (\(value))")
        }
        let itemUsers = userItems.transposed()
        // Every half-step needs each entry's confidence; computed once here, not 2 × iterations
        // times (a log per entry costs as much as a gathered vector's arithmetic).
        let userConfidences = confidencesMinusOne(of: userItems), itemConfidences = confidencesMinusOne(of: itemUsers)
        let k = configuration.factors
        let users = TurnedFactors(ImplicitALS.initialFactors(rows: userItems.rowCount, k: k, seed: configuration.seed, stream: 1, threads: threads))
        let items = TurnedFactors(ImplicitALS.initialFactors(rows: userItems.columnCount, k: k, seed: configuration.seed, stream: 2, threads: threads))
        var history: [Double] = []
        var done = 0
        if let checkpoint, let saved = try TrainingCheckpoint.read(from: checkpoint.directory, expecting: checkpoint.fingerprint, dataChecksum: checkpoint.dataChecksum) {
            guard saved.factors == k, saved.userFactors.count == userItems.rowCount * k, saved.itemFactors.count == userItems.columnCount * k else {
                throw EncoreError.invalidArgument("the checkpoint in \(checkpoint.directory) has other shapes than this data set; delete it to start over")
            }
            guard saved.iteration <= configuration.iterations, saved.lossHistory.count == saved.iteration else {
                throw EncoreError.invalidArgument("the checkpoint in \(checkpoint.directory) was saved after iteration \(saved.iteration), past this job's \(configuration.iterations); delete it to start over")
            }
            for (side, plain, turned) in [(users, saved.userFactors, saved.turnedUsers), (items, saved.itemFactors, saved.turnedItems)] {
                side.restore(DenseMatrix(rows: side.matrix.rows, columns: k, values: turned?.vectors ?? plain), basis: turned?.basis)
            }
            history = saved.lossHistory
            done = saved.iteration
            resumed?(saved)
        }
        let threads = self.threads
        for iteration in stride(from: done + 1, through: configuration.iterations, by: 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try halfStep(target: items, source: users, ratings: itemUsers, confidences: itemConfidences, side: "item")
            let userTerms = try halfStep(target: users, source: items, ratings: userItems, confidences: userConfidences, side: "user", withObjective: true)
            // ‖y‖ is the same in any orthonormal basis, so the penalty needs no turn.
            let loss = userTerms + penalty(of: items.matrix, ratings: itemUsers)
            history.append(loss)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if let checkpoint, iteration % checkpoint.every == 0 {
                var saved = TrainingCheckpoint(fingerprint: checkpoint.fingerprint, iteration: iteration, lossHistory: history,
                                               userFactors: users.factors(threads: threads).packed(),
                                               itemFactors: items.factors(threads: threads).packed(), factors: k)
                saved.turnedUsers = users.basis.map { TrainingCheckpoint.TurnedState(vectors: users.matrix.packed(), basis: $0) }
                saved.dataChecksum = checkpoint.dataChecksum
                saved.turnedItems = items.basis.map { TrainingCheckpoint.TurnedState(vectors: items.matrix.packed(), basis: $0) }
                try saved.write(to: checkpoint.directory)
            }
            progress?(ALSIterationReport(iteration: iteration, loss: loss, seconds: seconds) {
                (users.factors(threads: threads), items.factors(threads: threads))
            })
        }
        return FactorModel(userFactors: users.factors(threads: threads), itemFactors: items.factors(threads: threads), lossHistory: history)
    }

    /// Rows per block of `gram(of:threads:)`.
    private static let gramBlock = 1 << 16

    /// YᵀY (k×k, full, Double) of `factors`: one SYRK per fixed block of rows, on the threads,
    /// summed in block order — the same for any thread count.
    package static func gram(of factors: DenseMatrix, threads: Int) -> [Double] {
        let k = factors.columns
        let blocks = Parallel.chunkCount(count: factors.rows, chunkSize: gramBlock)
        var partial = [Double](repeating: 0, count: max(1, blocks) * k * k)
        partial.withUnsafeMutableBufferPointer { partial in
            Parallel.forEachChunk(count: factors.rows, chunkSize: gramBlock, threads: threads) { rows, block in
                BLAS.gram(factors.row(rows.lowerBound), rows: rows.count, k: k, lda: factors.stride, into: partial.baseAddress! + block * k * k)
            }
        }
        var gram = [Double](repeating: 0, count: k * k)
        for block in 0..<blocks { for i in 0..<(k * k) { gram[i] += partial[block * k * k + i] } }
        return gram
    }

    /// α·g(r) for every entry of `ratings`, in the order of its values: what `solveRows` takes
    /// as `confidences`, computed once for a whole training run.
    package func confidencesMinusOne(of ratings: SparseMatrix) -> [Float] {
        let configuration = self.configuration
        var result = [Float](repeating: 0, count: ratings.values.count)
        result.withUnsafeMutableBufferPointer { result in
            ratings.values.withUnsafeBufferPointer { values in
                Parallel.forEachChunk(count: values.count, chunkSize: 1 << 16, threads: threads) { range, _ in
                    for p in range {
                        result[p] = configuration.confidence.confidenceMinusOne(values[p], alpha: configuration.alpha, epsilon: configuration.epsilon)
                    }
                }
            }
        }
        return result
    }

    /// Spark's initialisation: N(0, 1) draws scaled to unit length, one independent stream per row.
    static func initialFactors(rows: Int, k: Int, seed: UInt64, stream: UInt64, threads: Int = Parallel.defaultThreadCount) -> DenseMatrix {
        initialFactors(rows: 0..<rows, k: k, seed: seed, stream: stream, threads: threads)
    }

    /// The initial vectors of the global rows `rows` (row r of the result is global row
    /// `rows.lowerBound + r`), for `side` users or items: each row has its own random stream, so a
    /// process that owns only some rows starts them exactly as a single process would.
    package static func initialFactors(rows: Range<Int>, k: Int, seed: UInt64, side: FactorSide, threads: Int) -> DenseMatrix {
        initialFactors(rows: rows, k: k, seed: seed, stream: side == .users ? 1 : 2, threads: threads)
    }

    private static func initialFactors(rows: Range<Int>, k: Int, seed: UInt64, stream: UInt64, threads: Int) -> DenseMatrix {
        let matrix = DenseMatrix(rows: rows.count, columns: k)
        Parallel.forEachChunk(count: rows.count, chunkSize: 4096, threads: threads) { chunk, _ in
            for r in chunk {
                var random = RandomSource(seed: seed, stream: stream, row: rows.lowerBound + r)
                let row = matrix.row(r)
                var norm = 0.0
                for j in stride(from: 0, to: k, by: 2) {
                    let (first, second) = random.nextGaussianPair()
                    row[j] = Float(first)
                    norm += first * first
                    // An odd k leaves the last pair's second draw unused.
                    if j + 1 < k {
                        row[j + 1] = Float(second)
                        norm += second * second
                    }
                }
                let scale = norm > 0 ? Float(1 / norm.squareRoot()) : 0
                VectorKernels.scale(row, scale, k)
            }
        }
        return matrix
    }

    /// Solves every row of `target` against the fixed `source`, in the eigenbasis of the
    /// source's Gram matrix, and leaves the target there (see TurnedFactors); `confidences` are
    /// α·g(r) of `ratings`' entries.
    /// With `withObjective`, returns the rows' share of the objective (see
    /// `RowSolver.objectiveTerm`), summed per chunk in chunk order so it is the same for any
    /// thread count; otherwise 0.
    @discardableResult
    func halfStep(
        target: TurnedFactors, source: TurnedFactors, ratings: SparseMatrix, confidences: [Float], side: String, withObjective: Bool = false
    ) throws -> Double {
        let gram = source.gram(threads: threads)
        // NNLS's constraint x ≥ 0 is not the same in another basis, so it keeps the plain one.
        guard !configuration.nonnegative, let eigenbasis = GramEigenbasis(
            gram: gram, source: source.matrix, sourceBasis: source.basis, exact: configuration.solver == .cholesky,
            storage: source.spare, threads: threads
        ) else {
            source.makePlain(threads: threads)
            target.makePlain(threads: threads)
            return try solveRows(target: target.matrix, source: source.matrix, ratings: ratings, confidences: confidences, gram: gram,
                                 eigenbasis: nil, side: side, withObjective: withObjective)
        }
        // CG starts from the current vectors; the exact solve needs none.
        if configuration.solver == .cg { target.turn(into: eigenbasis, threads: threads) } else { target.solved(in: eigenbasis) }
        return try solveRows(target: target.matrix, source: eigenbasis.rotated, ratings: ratings, confidences: confidences, gram: gram,
                             eigenbasis: eigenbasis, side: side, withObjective: withObjective)
    }

    /// Solves row r of `target` against `source` for every row r of `ratings`, whose column
    /// indices are rows of `source`; `gram` is the full YᵀY (k×k), which may cover more vectors
    /// than `source` holds — a distributed half-step solves its own rows against the vectors it
    /// received and the Gram matrix summed over every process. With `withObjective`, returns the
    /// rows' share of the objective; `side` ("user" or "item") is for messages. `confidences`,
    /// if given, are α·g(r) of `ratings`' entries (otherwise computed as they are needed).
    /// `turnedSource` and `turnedTarget`, if given, are matrices shaped like `source` and
    /// `target` to reuse for their copies in the Gram eigenbasis (else they are allocated).
    package func solveRows(
        target: DenseMatrix, source: DenseMatrix, ratings: SparseMatrix, confidences: [Float]? = nil, gram: [Double],
        turnedSource: DenseMatrix? = nil, turnedTarget: DenseMatrix? = nil, side: String, withObjective: Bool
    ) throws -> Double {
        // Rows are solved in the eigenbasis of G, where it is diagonal (see GramEigenbasis);
        // NNLS's constraint x ≥ 0 is not the same in another basis, so it keeps the plain one.
        guard !configuration.nonnegative, let eigenbasis = GramEigenbasis(
            gram: gram, source: source, exact: configuration.solver == .cholesky, storage: turnedSource, threads: threads
        ) else {
            return try solveRows(target: target, source: source, ratings: ratings, confidences: confidences, gram: gram,
                                 eigenbasis: nil, side: side, withObjective: withObjective)
        }
        // Rows are solved into the target's turned copy; CG starts from the current vectors, the
        // exact solve needs none.
        let solved = DenseMatrix.reusing(turnedTarget, rows: target.rows, columns: configuration.factors)
        if configuration.solver == .cg { eigenbasis.turn(target, into: solved, threads: threads) }
        let objective = try solveRows(target: solved, source: eigenbasis.rotated, ratings: ratings, confidences: confidences, gram: gram,
                                      eigenbasis: eigenbasis, side: side, withObjective: withObjective)
        eigenbasis.turn(solved, back: true, into: target, threads: threads)
        return objective
    }

    /// Solves row r of `target` against `source` for every row r of `ratings`, both in the
    /// basis of `eigenbasis` (its diagonal Λ standing for G) or, when it is nil, as they are
    /// (with the full `gram`).
    private func solveRows(
        target solved: DenseMatrix, source rowSource: DenseMatrix, ratings: SparseMatrix, confidences: [Float]?, gram: [Double],
        eigenbasis: GramEigenbasis?, side: String, withObjective: Bool
    ) throws -> Double {
        let k = configuration.factors
        precondition(confidences == nil || confidences!.count == ratings.values.count, "one confidence per entry of the ratings")
        let failures = FailureLog()
        let configuration = self.configuration
        let gramDouble = eigenbasis?.values ?? gram
        let gramFloat = eigenbasis?.floatValues ?? gram.map { Float($0) }
        let solvers = RowSolverPool(k: k, configuration: configuration)
        var partial = [Double](repeating: 0, count: Parallel.chunkCount(count: ratings.rowCount, chunkSize: ImplicitALS.chunkSize))
        partial.withUnsafeMutableBufferPointer { partial in
        gramDouble.withUnsafeBufferPointer { gramDouble in
        gramFloat.withUnsafeBufferPointer { gramFloat in
        ratings.indices.withUnsafeBufferPointer { indices in
        ratings.values.withUnsafeBufferPointer { values in
        (confidences ?? []).withUnsafeBufferPointer { confidences in
            let rowGram = RowSolver.Gram(double: gramDouble.baseAddress!, float: gramFloat.baseAddress!, isDiagonal: eigenbasis != nil)
            Parallel.forEachChunk(count: ratings.rowCount, chunkSize: ImplicitALS.chunkSize, threads: threads) { rows, chunk in
                let solver = solvers.take()
                defer { solvers.give(back: solver) }
                var sum = 0.0
                for row in rows {
                    let range = ratings.range(ofRow: row)
                    let columns = UnsafeBufferPointer(rebasing: indices[range])
                    let rowValues = UnsafeBufferPointer(rebasing: values[range])
                    let rowConfidences = confidences.isEmpty ? nil : confidences.baseAddress! + range.lowerBound
                    let x = solved.row(row)
                    let upcoming = row + 1 < rows.upperBound ? UnsafeBufferPointer(rebasing: indices[ratings.range(ofRow: row + 1)]) : nil
                    var finite = solver.solve(columns: columns, values: rowValues, confidences: rowConfidences, source: rowSource, gram: rowGram,
                                              target: x, upcoming: upcoming)
                    if !finite && configuration.solver == .cg {
                        // CG in Float can overflow on huge weights; the exact Double solve cannot.
                        finite = solver.solve(columns: columns, values: rowValues, confidences: rowConfidences, source: rowSource, gram: rowGram,
                                              target: x, forceCholesky: true)
                    }
                    if !finite {
                        failures.record(row)
                    } else if withObjective {
                        sum += solver.objectiveTerm(values: rowValues, gram: rowGram, x: x)
                    }
                }
                partial[chunk] = sum
            }
        }}}}}}
        if let row = failures.first {
            throw EncoreError.nonFinite("the \(side) vector of row \(row) is not finite (weights too large for Float32 factors?)")
        }
        return partial.reduce(0, +)
    }

    /// λ Σ_i s_i ‖y_i‖² over the rows of `factors` (row i's observations are row i of
    /// `ratings`): the item side of the regularisation term.
    package func penalty(of factors: DenseMatrix, ratings: SparseMatrix) -> Double {
        let spark = configuration.regularizationScaling == .spark
        var penalty = 0.0
        for row in 0..<factors.rows {
            var scale = 1.0
            if spark {
                scale = 0
                for p in ratings.range(ofRow: row) where ratings.values[p] > 0 { scale += 1 }
            }
            penalty += scale * Double(VectorKernels.dot(factors.row(row), factors.row(row), factors.columns))
        }
        return Double(configuration.regularization) * penalty
    }

    /// Solves one row's vector against fixed `source` factors, as a half-step would: the fold-in
    /// of a listener (or item) that was not in training, or a re-solve of one that was.
    /// `gram` is `source`ᵀ`source`; with CG, `start` is the warm start (zeros if nil).
    package func solveRow(
        columns: [UInt32], values: [Float], source: DenseMatrix, gram: [Double], start: [Float]? = nil
    ) throws -> [Float] {
        let k = configuration.factors
        guard source.columns == k, gram.count == k * k else {
            throw EncoreError.invalidArgument("the factors have rank \(source.columns) but the configuration says \(k)")
        }
        BLAS.ensureSingleThreaded()
        let solver = RowSolver(k: k, configuration: configuration)
        var x = start ?? [Float](repeating: 0, count: k)
        let gramFloat = gram.map { Float($0) }
        let finite = columns.withUnsafeBufferPointer { c in values.withUnsafeBufferPointer { v in
            gram.withUnsafeBufferPointer { g in gramFloat.withUnsafeBufferPointer { gf in x.withUnsafeMutableBufferPointer { x in
                // One row: diagonalising G would cost more than the solve, so the plain basis.
                let rowGram = RowSolver.Gram(double: g.baseAddress!, float: gf.baseAddress!, isDiagonal: false)
                return solver.solve(columns: c, values: v, source: source, gram: rowGram, target: x.baseAddress!)
            }}}
        }}
        guard finite else { throw EncoreError.nonFinite("the solved vector is not finite") }
        return x
    }
}

/// Which side of the factorisation a set of vectors belongs to.
package enum FactorSide: Sendable {
    /// Listeners (rows of the users × items matrix).
    case users
    /// Items (its columns).
    case items
}

/// Row solvers for the threads of one half-step: a chunk takes one and gives it back, so each
/// thread reuses its scratch space instead of allocating it per chunk.
private final class RowSolverPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [RowSolver] = []
    private let k: Int
    private let configuration: ALSConfiguration

    init(k: Int, configuration: ALSConfiguration) {
        self.k = k
        self.configuration = configuration
    }

    func take() -> RowSolver {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast() ?? RowSolver(k: k, configuration: configuration)
    }

    func give(back solver: RowSolver) {
        lock.lock()
        idle.append(solver)
        lock.unlock()
    }
}

/// Collects the rows whose solve failed, from any thread.
private final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var rows: [Int] = []

    func record(_ row: Int) {
        lock.lock()
        rows.append(row)
        lock.unlock()
    }

    var first: Int? {
        lock.lock()
        defer { lock.unlock() }
        return rows.min()
    }
}
