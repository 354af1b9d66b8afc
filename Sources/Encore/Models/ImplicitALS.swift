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
    package func fit(
        _ userItems: SparseMatrix, transpose: consuming SparseMatrix? = nil,
        checkpoint: CheckpointSettings? = nil, resumed: ((TrainingCheckpoint) -> Void)? = nil,
        progress: ((ALSIterationReport) -> Void)? = nil
    ) throws -> FactorModel {
        try configuration.validate()
        try ImplicitALS.checkFinite(userItems)
        // Every half-step needs each entry's confidence; computed once here, not 2 × iterations
        // times (a log per entry costs as much as a gathered vector's arithmetic). The items'
        // side keeps only its confidences: its weights are not needed after.
        let items = trainingRows((consume transpose) ?? userItems.transposed(threads: threads), owned: true)
        return try fit(users: trainingRows(userItems, owned: false), items: items, checkpoint: checkpoint, resumed: resumed, progress: progress)
    }

    /// Throws unless every weight of `ratings` is finite: checked as vectors (`allFinite`), the
    /// offending weight looked for only when there is one.
    private static func checkFinite(_ ratings: SparseMatrix) throws {
        let finite = ratings.values.withUnsafeBufferPointer { $0.baseAddress.map { VectorKernels.allFinite($0, ratings.values.count) } ?? true }
        guard !finite, let value = ratings.values.first(where: { !$0.isFinite }) else { return }
        throw EncoreError.invalidArgument("the training matrix holds a non-finite weight (\(value))")
    }

    /// The training loop, over both sides as the half-steps read them.
    private func fit(
        users userRows: TrainingRows, items itemRows: TrainingRows, checkpoint: CheckpointSettings?,
        resumed: ((TrainingCheckpoint) -> Void)?, progress: ((ALSIterationReport) -> Void)?
    ) throws -> FactorModel {
        BLAS.ensureSingleThreaded()
        let k = configuration.factors
        let users = TurnedFactors(ImplicitALS.initialFactors(rows: 0..<userRows.rowCount, k: k, seed: configuration.seed, side: .users,
                                                             scale: configuration.initialScale, threads: threads))
        let items = TurnedFactors(ImplicitALS.initialFactors(rows: 0..<itemRows.rowCount, k: k, seed: configuration.seed, side: .items,
                                                             scale: configuration.initialScale, threads: threads))
        var history: [Double] = []
        var done = 0
        if let checkpoint, let saved = try TrainingCheckpoint.read(from: checkpoint.directory, expecting: checkpoint.fingerprint, dataChecksum: checkpoint.dataChecksum) {
            guard saved.factors == k, saved.userFactors.count == userRows.rowCount * k, saved.itemFactors.count == itemRows.rowCount * k else {
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
        // Counted once: the penalty needs them every iteration, and a coded side counts through its table.
        let itemPositives = (0..<itemRows.rowCount).map { itemRows.positives(ofRow: $0) }
        // One pool of row solvers per side for the whole run: a solver's scratch space grows to
        // the longest row it meets, and solvers made afresh every half-step grew it again each
        // time, in page faults on memory the kernel must clear.
        let itemSolvers = RowSolverPool(configuration: configuration, solving: itemRows)
        let userSolvers = RowSolverPool(configuration: configuration, solving: userRows)
        for iteration in stride(from: done + 1, through: configuration.iterations, by: 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try halfStepKeepingEigenbasis(target: items, source: users, rows: itemRows, side: .items, solvers: itemSolvers)
            // ‖y‖ is the same in any orthonormal basis, so the penalty needs no turn; taken
            // before the users' half-step turns the items (in place) into its basis, so it
            // reads the vectors as they were solved.
            let itemPenalty = penalty(of: items.matrix, positives: itemPositives, otherSide: itemRows.columnCount)
            let userTerms = try halfStepKeepingEigenbasis(
                target: users, source: items, rows: userRows, side: .users, withObjective: true, solvers: userSolvers)
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

    /// `fit`, holding each play once per side as an index and a confidence (a one- or two-byte
    /// code when the side's weights have few distinct values, `EntryConfidences`): the users'
    /// weights (which the model keeps, but training reads only as confidences) stay in the play
    /// log when they are mapped from one, and are otherwise set aside in a temporary file while
    /// it runs (`WeightSpill`); either way they are read back after. Returns the factors
    /// and `userItems` as given. Without `transpose` it is plain `fit`. The factors are the same
    /// either way.
    package func fitSettingWeightsAside(
        _ userItems: consuming SparseMatrix, transpose: consuming SparseMatrix?, checkpoint: CheckpointSettings? = nil,
        resumed: ((TrainingCheckpoint) -> Void)? = nil, progress: ((ALSIterationReport) -> Void)? = nil
    ) throws -> (FactorModel, SparseMatrix) {
        guard let transpose = consume transpose else {
            return (try fit(userItems, checkpoint: checkpoint, resumed: resumed, progress: progress), userItems)
        }
        try configuration.validate()
        try ImplicitALS.checkFinite(userItems)
        // Weights mapped from a play log are in the file already; others are set aside in one.
        let mapped = userItems.values.isMapped ? userItems.values : nil
        let weights = mapped == nil ? try WeightSpill(userItems.values.array) : nil
        let users = trainingRows(consume userItems, owned: true)
        let items = trainingRows(consume transpose, owned: true)
        let factors = try fit(users: users, items: consume items, checkpoint: checkpoint, resumed: resumed, progress: progress)
        // Both sides' codes go before the weights come back, so that they are never held together.
        let (rows, columns, offsets, indices, kept) = (users.rowCount, users.columnCount, users.offsets, users.indices, users.weights)
        _ = consume users
        return (factors, SparseMatrix(uncheckedRowCount: rows, columnCount: columns, offsets: offsets, indices: indices,
                                      values: try kept ?? mapped ?? MappableArray(weights!.read())))
    }

    /// Whether training holds a side's confidences as codes when its weights allow it (tests
    /// turn it off to compare a coded run with a Float one).
    package var codesConfidences = true

    /// `ratings` as a half-step reads it. Its confidences are coded when its weights have at most
    /// `EntryConfidences.largestTable` distinct values and none underflows; otherwise they are
    /// Floats, and when no positive weight's confidence underflows to 0 they stand for the
    /// weights, which are then not kept. With `owned`, `ratings` was handed over: its weights'
    /// memory becomes the codes (let go as they are coded) or the Float confidences (turned in
    /// place, no second array).
    package func trainingRows(_ ratings: consuming SparseMatrix, owned: Bool) -> TrainingRows {
        let configuration = self.configuration, threads = self.threads
        func confidence(_ r: Float) -> Float { configuration.confidence.confidenceMinusOne(r, alpha: configuration.alpha, epsilon: configuration.epsilon) }
        let (rows, columns, offsets, indices) = (ratings.rowCount, ratings.columnCount, ratings.offsets, ratings.indices)
        func held(_ confidences: EntryConfidences, weights: MappableArray<Float>? = nil) -> TrainingRows {
            TrainingRows(rowCount: rows, columnCount: columns, offsets: offsets, indices: indices, confidences: confidences, weights: weights)
        }
        if !owned {
            let coded = codesConfidences
                // A mapping's pages can always be let go: they stay in the file.
                ? ratings.values.withUnsafeBufferPointer {
                    EntryConfidences.coding($0, releasing: ratings.values.isMapped, threads: threads, confidence: confidence)
                }
                : nil
            if let coded { return held(coded) }
            let underflows = ratings.values.withUnsafeBufferPointer { anyUnderflows($0, confidence) }
            return held(EntryConfidences(floats: confidencesMinusOne(of: ratings)), weights: underflows ? ratings.values : nil)
        }
        if ratings.values.isMapped {
            // Weights mapped from a file: coded straight from the mapping, whose pages are let go
            // as they are read (they stay in the file); copied only for the Float fallback.
            if codesConfidences, let coded = ratings.values.withUnsafeBufferPointer({
                EntryConfidences.coding($0, releasing: true, threads: threads, confidence: confidence)
            }) {
                return held(coded)
            }
            let copy = ratings.values.array
            _ = ratings.values.withUnsafeBufferPointer { MemoryRelease.dropRead(UnsafeMutableBufferPointer(mutating: $0), upTo: $0.count, from: 0) }
            ratings = SparseMatrix(uncheckedRowCount: rows, columnCount: columns, offsets: offsets, indices: indices, values: copy)
        }
        var values = ratings.values.array
        _ = consume ratings
        // `values` is now the only reference when the caller handed `ratings` over: no copy.
        // (Mutable access makes it unique even if not, so that letting its pages go cannot
        // touch anyone else's weights.)
        if codesConfidences, let coded = values.withUnsafeMutableBufferPointer({
            EntryConfidences.coding(UnsafeBufferPointer($0), releasing: true, threads: threads, confidence: confidence)
        }) {
            return held(coded)
        }
        // A first pass only looks, so that a weight is never lost to a confidence of 0.
        if values.withUnsafeBufferPointer({ anyUnderflows($0, confidence) }) {
            return held(EntryConfidences(floats: confidencesMinusOne(of: SparseMatrix(uncheckedRowCount: rows, columnCount: columns, offsets: offsets,
                                                                                      indices: indices, values: values))),
                        weights: MappableArray(values))
        }
        values.withUnsafeMutableBufferPointer { values in
            Parallel.forEachChunk(count: values.count, chunkSize: 1 << 16, threads: threads) { range, _ in
                for p in range { values[p] = confidence(values[p]) }
            }
        }
        return held(EntryConfidences(floats: values))
    }

    /// Whether some positive weight's confidence is not positive (underflows to 0).
    private func anyUnderflows(_ values: UnsafeBufferPointer<Float>, _ confidence: (Float) -> Float) -> Bool {
        let chunks = Parallel.chunkCount(count: values.count, chunkSize: 1 << 16)
        var underflows = [Bool](repeating: false, count: chunks)
        underflows.withUnsafeMutableBufferPointer { underflows in
            Parallel.forEachChunk(count: values.count, chunkSize: 1 << 16, threads: threads) { range, chunk in
                underflows[chunk] = range.contains { values[$0] > 0 && !(confidence(values[$0]) > 0) }
            }
        }
        return underflows.contains(true)
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
        // Written once, by the threads that draw the values: zero-filled first, the reference
        // workload's 167 MB of initial factors were written twice, the first time by one thread.
        let matrix = DenseMatrix(uninitializedRows: rows.count, columns: k)
        Parallel.forEachChunk(count: rows.count, chunkSize: 4096, threads: threads) { chunk, _ in
            for r in chunk {
                var random = RandomSource(seed: seed, stream: side.randomStream, row: rows.lowerBound + r)
                let row = matrix.row(r)
                (row + k).initialize(repeating: 0, count: matrix.stride - k)
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
    /// its entries (otherwise computed here, once). `gram` is G = YᵀY if given (a
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
        let rows = TrainingRows(ratings, confidences: EntryConfidences(floats: confidences ?? confidencesMinusOne(of: ratings)), weightsNeeded: true)
        return try halfStepKeepingEigenbasis(target: target, source: source, rows: rows, gram: given, side: side, withObjective: withObjective)
    }

    /// The half-step above over rows as training holds them (`TrainingRows`: confidences coded
    /// or Float, weights only where needed). `solvers`, if given, are the row solvers to use,
    /// made for this configuration and `rows` (`RowSolverPool(configuration:solving:)`; a run
    /// keeps them from one half-step to the next); otherwise the half-step makes its own.
    @discardableResult
    package func halfStepKeepingEigenbasis(
        target: TurnedFactors, source: TurnedFactors, rows: TrainingRows, gram given: [Double]? = nil, side: FactorSide,
        withObjective: Bool = false, solvers: RowSolverPool? = nil
    ) throws -> Double {
        if configuration.solver == .subspace && given == nil {
            return try subspaceHalfStep(target: target, source: source, rows: rows, side: side, withObjective: withObjective)
        }
        let gram = NormalEquations.weightedGram(given ?? source.gram(threads: threads), configuration)
        // NNLS's constraint x ≥ 0 is not the same in another basis, so it keeps the plain one.
        guard !configuration.nonnegative,
              let eigenbasis = GramEigenbasis(gram: gram, k: configuration.factors, exact: configuration.solver == .cholesky) else {
            source.makePlain(threads: threads)
            target.makePlain(threads: threads)
            return try solveEveryRow(of: target.matrix, against: source.matrix, rows: rows,
                                     gram: GramStorage(gram, isDiagonal: false), side: side, withObjective: withObjective, solvers: solvers)
        }
        // Both sides are turned in place (see TurnedFactors): the source stays in this basis
        // until it is solved or turned again. CG starts from the current vectors; the exact
        // solve needs none.
        source.turn(into: eigenbasis, threads: threads)
        if configuration.solver == .cholesky { target.solved(in: eigenbasis) } else { target.turn(into: eigenbasis, threads: threads) }
        return try solveEveryRow(of: target.matrix, against: source.matrix, rows: rows,
                                 gram: GramStorage(eigenbasis.values, isDiagonal: true), side: side, withObjective: withObjective,
                                 solvers: solvers)
    }

    /// Solves row r of `target` against `source` for every row r of `rows`, both in the basis
    /// `gram` is given in, one chunk of rows per task, and returns the chunks' objective shares
    /// summed in chunk order.
    private func solveEveryRow(
        of target: DenseMatrix, against source: DenseMatrix, rows ratings: TrainingRows, gram: GramStorage,
        side: FactorSide, withObjective: Bool, solvers given: RowSolverPool?
    ) throws -> Double {
        let failures = FailureLog()
        let solvers = given ?? RowSolverPool(configuration: configuration, solving: ratings)
        var partial = [Double](repeating: 0, count: Parallel.chunkCount(count: ratings.rowCount, chunkSize: ImplicitALS.chunkSize))
        partial.withUnsafeMutableBufferPointer { partial in
            ratings.withUnsafeRows { entries in
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
        _ rows: Range<Int>, of target: DenseMatrix, against source: DenseMatrix, entries: UnsafeTrainingRows, gram: RowSolver.Gram,
        solver: RowSolver, failures: FailureLog, withObjective: Bool
    ) -> Double {
        var sum = 0.0
        let scratch = solver.confidenceScratch
        for row in rows {
            let columns = entries.columns(ofRow: row), (values, confidences) = entries.entries(ofRow: row, scratch: scratch)
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
        let positives = (0..<ratings.rowCount).map { row in ratings.range(ofRow: row).reduce(0) { $0 + (ratings.values[$1] > 0 ? 1 : 0) } }
        return penalty(of: factors, positives: positives, otherSide: ratings.columnCount)
    }

    /// The same, row i having `positives[i]` positive weights among its observations of
    /// `otherSide` rows (counted once per training: a coded side counts through its table).
    func penalty(of factors: DenseMatrix, positives: [Int], otherSide: Int) -> Double {
        let equations = NormalEquations(k: factors.columns, configuration: configuration, otherSide: otherSide)
        var penalty = 0.0
        for row in 0..<factors.rows {
            let scale = Double(equations.scale(positives: positives[row]))
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
