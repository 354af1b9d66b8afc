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
    ///
    /// `transpose`, when given, must be `userItems`' transpose (a play log holds both); it is
    /// consumed: its weights are replaced by the confidences training needs.
    ///
    /// `userConfidences`, when given, are `userItems`' confidences computed already (then
    /// `transpose` must be given too: `userItems` may hold confidences in place of weights).
    package func fit(
        _ userItems: SparseMatrix, transpose: consuming SparseMatrix? = nil, userConfidences given: [Float]? = nil,
        checkpoint: CheckpointSettings? = nil, resumed: ((TrainingCheckpoint) -> Void)? = nil,
        progress: ((ALSIterationReport) -> Void)? = nil
    ) throws -> FactorModel {
        precondition(given == nil || transpose != nil, "confidences given in place of weights need the transpose given too")
        try configuration.validate()
        BLAS.ensureSingleThreaded()
        for value in userItems.values where !value.isFinite {
            throw EncoreError.invalidArgument("the training matrix holds a non-finite weight (\(value))")
        }
        // Every half-step needs each entry's confidence; computed once here, not 2 × iterations
        // times (a log per entry costs as much as a gathered vector's arithmetic). The items'
        // side keeps only its confidences (`confidenceMatrix`): its weights are not needed after.
        let (itemUsers, itemConfidences, _) = confidenceMatrix((consume transpose) ?? userItems.transposed())
        let userConfidences = given ?? confidencesMinusOne(of: userItems)
        let k = configuration.factors
        let users = TurnedFactors(ImplicitALS.initialFactors(rows: 0..<userItems.rowCount, k: k, seed: configuration.seed, side: .users,
                                                             scale: configuration.initialScale, threads: threads))
        let items = TurnedFactors(ImplicitALS.initialFactors(rows: 0..<userItems.columnCount, k: k, seed: configuration.seed, side: .items,
                                                             scale: configuration.initialScale, threads: threads))
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
            try halfStepKeepingEigenbasis(target: items, source: users, ratings: itemUsers, confidences: itemConfidences, side: .items)
            // ‖y‖ is the same in any orthonormal basis, so the penalty needs no turn; taken
            // before the users' half-step turns the items (in place) into its basis, so it
            // reads the vectors as they were solved.
            let itemPenalty = penalty(of: items.matrix, ratings: itemUsers)
            let userTerms = try halfStepKeepingEigenbasis(target: users, source: items, ratings: userItems, confidences: userConfidences,
                                                          side: .users, withObjective: true)
            let loss = userTerms + itemPenalty
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
        // Turned back in place: no third copy of either side at the end of a run.
        return FactorModel(userFactors: users.takeFactors(threads: threads), itemFactors: items.takeFactors(threads: threads), lossHistory: history)
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

    /// `fit`, holding each play once per side as an index and a confidence: the users' weights
    /// (which the model keeps, but training reads only as confidences) are set aside in a
    /// temporary file while it runs (`WeightSpill`) and read back after. Returns the factors and
    /// `userItems` as given. Without `transpose`, or when a confidence underflows to zero, it is
    /// plain `fit`. The factors are the same either way.
    package func fitSettingWeightsAside(
        _ userItems: consuming SparseMatrix, transpose: consuming SparseMatrix?, checkpoint: CheckpointSettings? = nil,
        resumed: ((TrainingCheckpoint) -> Void)? = nil, progress: ((ALSIterationReport) -> Void)? = nil
    ) throws -> (FactorModel, SparseMatrix) {
        guard let transpose = consume transpose else {
            return (try fit(userItems, checkpoint: checkpoint, resumed: resumed, progress: progress), userItems)
        }
        try configuration.validate()
        let weights = try WeightSpill(userItems.values.array)
        let (userSide, confidences, holdsConfidences) = confidenceMatrix(consume userItems)
        guard holdsConfidences else {
            return (try fit(userSide, transpose: consume transpose, checkpoint: checkpoint, resumed: resumed, progress: progress), userSide)
        }
        let factors = try fit(userSide, transpose: consume transpose, userConfidences: confidences, checkpoint: checkpoint, resumed: resumed, progress: progress)
        return (factors, SparseMatrix(uncheckedRowCount: userSide.rowCount, columnCount: userSide.columnCount, offsets: userSide.offsets,
                                      indices: userSide.indices, values: try weights.read()))
    }

    /// `ratings` for a half-step, with what it is given as confidences: the solvers read a
    /// weight only to ask whether it is positive, and c₁ = α·g(r) is positive exactly when r is
    /// unless it underflows, so when none does the weights are turned into their confidences
    /// in place (no second array) and serve as both. Otherwise `ratings` is kept as it is, with
    /// its confidences beside it. `holdsConfidences` says which.
    func confidenceMatrix(_ ratings: consuming SparseMatrix) -> (matrix: SparseMatrix, confidences: [Float], holdsConfidences: Bool) {
        let configuration = self.configuration
        func confidence(_ r: Float) -> Float { configuration.confidence.confidenceMinusOne(r, alpha: configuration.alpha, epsilon: configuration.epsilon) }
        // A first pass only looks, so that a weight is never lost to a confidence of 0.
        let chunks = Parallel.chunkCount(count: ratings.values.count, chunkSize: 1 << 16)
        var underflows = [Bool](repeating: false, count: chunks)
        underflows.withUnsafeMutableBufferPointer { underflows in
            ratings.values.withUnsafeBufferPointer { values in
                Parallel.forEachChunk(count: values.count, chunkSize: 1 << 16, threads: threads) { range, chunk in
                    underflows[chunk] = range.contains { values[$0] > 0 && !(confidence(values[$0]) > 0) }
                }
            }
        }
        guard !underflows.contains(true) else { return (ratings, confidencesMinusOne(of: ratings), false) }
        let (rows, columns, offsets, indices) = (ratings.rowCount, ratings.columnCount, ratings.offsets, ratings.indices)
        var values = ratings.values.array
        _ = consume ratings
        // `values` is now the only reference when the caller handed `ratings` over: no copy.
        values.withUnsafeMutableBufferPointer { values in
            Parallel.forEachChunk(count: values.count, chunkSize: 1 << 16, threads: threads) { range, _ in
                for p in range { values[p] = confidence(values[p]) }
            }
        }
        return (SparseMatrix(uncheckedRowCount: rows, columnCount: columns, offsets: offsets, indices: indices, values: values), values, true)
    }

    /// α·g(r) for every entry of `ratings`, in the order of its values: what a half-step takes
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

    /// Spark's initialisation: N(0, 1) draws scaled to unit length (then to length `scale`).
    /// Row r of the result is global row `rows.lowerBound + r` of `side`, and each row has its
    /// own random stream, so a process that owns only some rows starts them exactly as a single
    /// process would.
    package static func initialFactors(rows: Range<Int>, k: Int, seed: UInt64, side: FactorSide, scale length: Float = 1, threads: Int) -> DenseMatrix {
        let matrix = DenseMatrix(rows: rows.count, columns: k)
        Parallel.forEachChunk(count: rows.count, chunkSize: 4096, threads: threads) { chunk, _ in
            for r in chunk {
                var random = RandomSource(seed: seed, stream: side.randomStream, row: rows.lowerBound + r)
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
                // Scaled as one Float factor: with length 1 it is Spark's bits.
                let scale = norm > 0 ? Float(Double(length) / norm.squareRoot()) : 0
                VectorKernels.scale(row, scale, k)
            }
        }
        return matrix
    }

    /// The one half-step: solves every row of `target` against the fixed `source`, in the
    /// eigenbasis of the source's Gram matrix, and keeps the target's vectors in that eigenbasis
    /// afterwards (see TurnedFactors) — the next half-step turns them once, straight into its own
    /// basis, and the factors are only formed when asked for. The source is turned into that
    /// eigenbasis in place and left there (its `TurnedFactors` records the basis; its matrix is
    /// changed). `ratings` row r holds target row
    /// r's observations, its columns rows of `source`; `confidences`, if given, are α·g(r) of
    /// its entries (otherwise computed as they are needed). `gram` is G = YᵀY if given (a
    /// distributed half-step's is summed over every process and covers more vectors than
    /// `source` holds), else the source's own. With `withObjective`, returns the rows' share of
    /// the objective (see `NormalEquations.objectiveTerm`), summed per chunk in chunk order so it
    /// is the same for any thread count; otherwise 0.
    @discardableResult
    package func halfStepKeepingEigenbasis(
        target: TurnedFactors, source: TurnedFactors, ratings: SparseMatrix, confidences: [Float]? = nil, gram given: [Double]? = nil,
        side: FactorSide, withObjective: Bool = false
    ) throws -> Double {
        precondition(confidences == nil || confidences!.count == ratings.values.count, "one confidence per entry of the ratings")
        if configuration.solver == .subspace && given == nil {
            return try subspaceHalfStep(target: target, source: source, ratings: ratings, confidences: confidences, side: side,
                                        withObjective: withObjective)
        }
        let gram = NormalEquations.weightedGram(given ?? source.gram(threads: threads), configuration)
        // NNLS's constraint x ≥ 0 is not the same in another basis, so it keeps the plain one.
        guard !configuration.nonnegative,
              let eigenbasis = GramEigenbasis(gram: gram, k: configuration.factors, exact: configuration.solver == .cholesky) else {
            source.makePlain(threads: threads)
            target.makePlain(threads: threads)
            return try solveEveryRow(of: target.matrix, against: source.matrix, ratings: ratings, confidences: confidences,
                                     gram: GramStorage(gram, isDiagonal: false), side: side, withObjective: withObjective)
        }
        // Both sides are turned in place (see TurnedFactors): the source stays in this basis
        // until it is solved or turned again. CG starts from the current vectors; the exact
        // solve needs none.
        source.turn(into: eigenbasis, threads: threads)
        if configuration.solver == .cholesky { target.solved(in: eigenbasis) } else { target.turn(into: eigenbasis, threads: threads) }
        return try solveEveryRow(of: target.matrix, against: source.matrix, ratings: ratings, confidences: confidences,
                                 gram: GramStorage(eigenbasis.values, isDiagonal: true), side: side, withObjective: withObjective)
    }

    /// Solves row r of `target` against `source` for every row r of `ratings`, both in the basis
    /// `gram` is given in, one chunk of rows per task, and returns the chunks' objective shares
    /// summed in chunk order.
    private func solveEveryRow(
        of target: DenseMatrix, against source: DenseMatrix, ratings: SparseMatrix, confidences: [Float]?, gram: GramStorage,
        side: FactorSide, withObjective: Bool
    ) throws -> Double {
        let failures = FailureLog()
        let solvers = RowSolverPool(k: configuration.factors, configuration: configuration, otherSide: ratings.columnCount)
        var partial = [Double](repeating: 0, count: Parallel.chunkCount(count: ratings.rowCount, chunkSize: ImplicitALS.chunkSize))
        partial.withUnsafeMutableBufferPointer { partial in
            ratings.withUnsafeEntries(confidences: confidences) { entries in
                Parallel.forEachChunk(count: ratings.rowCount, chunkSize: ImplicitALS.chunkSize, threads: threads) { rows, chunk in
                    let solver = solvers.take()
                    defer { solvers.give(back: solver) }
                    partial[chunk] = solveChunk(rows, of: target, against: source, entries: entries, gram: gram.view, solver: solver,
                                               failures: failures, withObjective: withObjective)
                }
            }
        }
        if let row = failures.first {
            throw EncoreError.nonFinite("the \(side.name) vector of row \(row) is not finite (weights too large for Float32 factors?)")
        }
        return partial.reduce(0, +)
    }

    /// One chunk of `solveEveryRow`: solves `rows` in order with `solver`, recording failures,
    /// and returns their objective shares' sum (0 without `withObjective`).
    private func solveChunk(
        _ rows: Range<Int>, of target: DenseMatrix, against source: DenseMatrix, entries: SparseMatrix.UnsafeEntries, gram: RowSolver.Gram,
        solver: RowSolver, failures: FailureLog, withObjective: Bool
    ) -> Double {
        var sum = 0.0
        for row in rows {
            let columns = entries.columns(ofRow: row), values = entries.values(ofRow: row), confidences = entries.confidences(ofRow: row)
            let x = target.row(row)
            let upcoming = row + 1 < rows.upperBound ? entries.columns(ofRow: row + 1) : nil
            var term = solver.solve(columns: columns, values: values, confidences: confidences, source: source, gram: gram,
                                    target: x, upcoming: upcoming, withObjective: withObjective)
            if term == nil && configuration.solver != .cholesky {
                // CG in Float can overflow on huge weights; the exact Double solve cannot.
                term = solver.solve(columns: columns, values: values, confidences: confidences, source: source, gram: gram,
                                    target: x, forceExact: true, withObjective: withObjective)
            }
            if let term { sum += term } else { failures.record(row) }
        }
        return sum
    }

    /// λ Σ_i s_i ‖y_i‖² over the rows of `factors` (row i's observations are row i of
    /// `ratings`): the item side of the regularisation term.
    package func penalty(of factors: DenseMatrix, ratings: SparseMatrix) -> Double {
        let equations = NormalEquations(k: factors.columns, configuration: configuration, otherSide: ratings.columnCount)
        var penalty = 0.0
        for row in 0..<factors.rows {
            var positives = 0
            for p in ratings.range(ofRow: row) where ratings.values[p] > 0 { positives += 1 }
            let scale = Double(equations.scale(positives: positives))
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
        let gram = NormalEquations.weightedGram(gram, configuration)
        let solver = RowSolver(k: k, configuration: configuration, otherSide: source.rows)
        var x = start ?? [Float](repeating: 0, count: k)
        // One row: diagonalising G would cost more than the solve, so the plain basis.
        let rowGram = GramStorage(gram, isDiagonal: false)
        let solved = columns.withUnsafeBufferPointer { c in values.withUnsafeBufferPointer { v in x.withUnsafeMutableBufferPointer { x in
            solver.solve(columns: c, values: v, source: source, gram: rowGram.view, target: x.baseAddress!)
        }}}
        guard solved != nil else { throw EncoreError.nonFinite("the solved vector is not finite") }
        return x
    }
}

/// Which side of the factorisation a set of vectors belongs to.
package enum FactorSide: Sendable {
    /// Listeners (rows of the users × items matrix).
    case users
    /// Items (its columns).
    case items

    /// The random stream its initial vectors are drawn from (see `RandomSource`): fixed, so the
    /// same seed starts the same model in any process layout.
    var randomStream: UInt64 { self == .users ? 1 : 2 }
    /// The word for one of its vectors, for messages.
    package var name: String { self == .users ? "user" : "item" }
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

extension SparseMatrix {
    /// A matrix's entries, with their confidences if any, through raw pointers for the solvers'
    /// row loop (valid only inside `withUnsafeEntries`).
    struct UnsafeEntries {
        let offsets: UnsafeBufferPointer<Int>
        let indices: UnsafeBufferPointer<UInt32>
        let values: UnsafeBufferPointer<Float>
        /// Empty when the confidences are computed as needed.
        let confidences: UnsafeBufferPointer<Float>

        func columns(ofRow row: Int) -> UnsafeBufferPointer<UInt32> {
            UnsafeBufferPointer(rebasing: indices[offsets[row]..<offsets[row + 1]])
        }

        func values(ofRow row: Int) -> UnsafeBufferPointer<Float> {
            UnsafeBufferPointer(rebasing: values[offsets[row]..<offsets[row + 1]])
        }

        func confidences(ofRow row: Int) -> UnsafePointer<Float>? {
            confidences.isEmpty ? nil : confidences.baseAddress! + offsets[row]
        }
    }

    /// Calls `body` with the entries and `confidences` (one per entry, or nil) held still.
    func withUnsafeEntries<Result>(confidences: [Float]?, _ body: (UnsafeEntries) throws -> Result) rethrows -> Result {
        try offsets.withUnsafeBufferPointer { offsets in
            try indices.withUnsafeBufferPointer { indices in
                try values.withUnsafeBufferPointer { values in
                    try (confidences ?? []).withUnsafeBufferPointer { confidences in
                        try body(UnsafeEntries(offsets: offsets, indices: indices, values: values, confidences: confidences))
                    }
                }
            }
        }
    }
}
