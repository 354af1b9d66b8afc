import Foundation

/// Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren & Volinsky
/// 2008), exactly as DESIGN.md states it: each iteration solves every item, then every user.
public struct ImplicitALS: Sendable {
    /// The hyperparameters.
    public var configuration: ALSConfiguration
    /// Threads to use; results do not depend on it.
    public var threads: Int
    /// Rows per work chunk; fixed so that per-chunk sums combine the same way on any thread count.
    static let chunkSize = 64

    /// A trainer with the given settings.
    public init(configuration: ALSConfiguration = ALSConfiguration(), threads: Int = Parallel.defaultThreadCount) {
        self.configuration = configuration
        self.threads = max(1, threads)
    }

    /// Learns factors from a users × items matrix of raw weights (play counts).
    /// `progress` is called after each iteration.
    public func fit(_ userItems: SparseMatrix, progress: ((ALSIterationReport) -> Void)? = nil) throws -> FactorModel {
        try configuration.validate()
        BLAS.ensureSingleThreaded()
        for value in userItems.values where !value.isFinite {
            throw EncoreError.invalidArgument("the training matrix holds a non-finite weight (\(value))")
        }
        let itemUsers = userItems.transposed()
        let k = configuration.factors
        let users = ImplicitALS.initialFactors(rows: userItems.rowCount, k: k, seed: configuration.seed, stream: 1)
        let items = ImplicitALS.initialFactors(rows: userItems.columnCount, k: k, seed: configuration.seed, stream: 2)
        var history: [Double] = []
        for iteration in stride(from: 1, through: configuration.iterations, by: 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try halfStep(target: items, source: users, ratings: itemUsers, side: "item")
            let itemGram = try halfStep(target: users, source: items, ratings: userItems, side: "user")
            let loss = objective(users: users, items: items, userItems: userItems, itemUsers: itemUsers, itemGram: itemGram)
            history.append(loss)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            progress?(ALSIterationReport(iteration: iteration, loss: loss, seconds: seconds, userFactors: users, itemFactors: items))
        }
        return FactorModel(userFactors: users, itemFactors: items, lossHistory: history)
    }

    /// Spark's initialisation: N(0, 1) draws scaled to unit length, one independent stream per row.
    static func initialFactors(rows: Int, k: Int, seed: UInt64, stream: UInt64) -> DenseMatrix {
        let matrix = DenseMatrix(rows: rows, columns: k)
        for r in 0..<rows {
            var random = RandomSource(seed: seed, stream: stream, row: r)
            let row = matrix.row(r)
            var norm = 0.0
            for j in 0..<k {
                let draw = random.nextGaussian()
                row[j] = Float(draw)
                norm += draw * draw
            }
            let scale = norm > 0 ? Float(1 / norm.squareRoot()) : 0
            VectorKernels.scale(row, scale, k)
        }
        return matrix
    }

    /// Solves every row of `target` against the fixed `source`, returning `source`ᵀ`source`.
    @discardableResult
    func halfStep(target: DenseMatrix, source: DenseMatrix, ratings: SparseMatrix, side: String) throws -> [Double] {
        let k = configuration.factors
        var gram = [Double](repeating: 0, count: k * k)
        gram.withUnsafeMutableBufferPointer { BLAS.gram(source.storage, rows: source.rows, k: k, lda: source.stride, into: $0.baseAddress!) }
        let gramFloat = gram.map { Float($0) }
        let failures = FailureLog()
        let configuration = self.configuration
        gram.withUnsafeBufferPointer { gramBuffer in
        gramFloat.withUnsafeBufferPointer { gramFloatBuffer in
        ratings.indices.withUnsafeBufferPointer { indices in
        ratings.values.withUnsafeBufferPointer { values in
            Parallel.forEachChunk(count: ratings.rowCount, chunkSize: ImplicitALS.chunkSize, threads: threads) { rows, _ in
                let solver = RowSolver(k: k, configuration: configuration)
                for row in rows {
                    let range = ratings.range(ofRow: row)
                    let columns = UnsafeBufferPointer(rebasing: indices[range])
                    let rowValues = UnsafeBufferPointer(rebasing: values[range])
                    let x = target.row(row)
                    if solver.solve(columns: columns, values: rowValues, source: source, gram: gramBuffer.baseAddress!, gramFloat: gramFloatBuffer.baseAddress!, target: x) {
                        continue
                    }
                    // CG in Float can overflow on huge weights; the exact Double solve cannot.
                    if configuration.solver == .cg,
                       solver.solve(columns: columns, values: rowValues, source: source, gram: gramBuffer.baseAddress!, gramFloat: gramFloatBuffer.baseAddress!, target: x, forceCholesky: true) {
                        continue
                    }
                    failures.record(row)
                }
            }
        }}}}
        if let row = failures.first {
            throw EncoreError.nonFinite("the \(side) vector of row \(row) is not finite (weights too large for Float32 factors?)")
        }
        return gram
    }

    /// Σ_ui c_ui (p_ui − x_uᵀy_i)² + λ(Σ_u s_u‖x_u‖² + Σ_i s_i‖y_i‖²), using YᵀY for the
    /// unobserved part so the cost is O(nnz·k + users·k²).
    func objective(users: DenseMatrix, items: DenseMatrix, userItems: SparseMatrix, itemUsers: SparseMatrix, itemGram: [Double]) -> Double {
        let k = configuration.factors
        let configuration = self.configuration
        let spark = configuration.regularizationScaling == .spark
        func positives(_ matrix: SparseMatrix, _ row: Int) -> Int {
            var count = 0
            for p in matrix.range(ofRow: row) where matrix.values[p] > 0 { count += 1 }
            return count
        }
        let userChunks = Parallel.chunkCount(count: users.rows, chunkSize: ImplicitALS.chunkSize)
        var partial = [Double](repeating: 0, count: userChunks)
        partial.withUnsafeMutableBufferPointer { partial in
            Parallel.forEachChunk(count: users.rows, chunkSize: ImplicitALS.chunkSize, threads: threads) { rows, chunk in
                var sum = 0.0
                for u in rows {
                    let x = users.row(u)
                    var quadratic = 0.0
                    for i in 0..<k {
                        var inner = 0.0
                        for j in 0..<k { inner += itemGram[i * k + j] * Double(x[j]) }
                        quadratic += Double(x[i]) * inner
                    }
                    var observed = 0.0
                    for p in userItems.range(ofRow: u) {
                        let r = userItems.values[p]
                        let s = Double(VectorKernels.dot(x, items.row(Int(userItems.indices[p])), k))
                        let c = 1 + Double(configuration.confidence.confidenceMinusOne(r, alpha: configuration.alpha, epsilon: configuration.epsilon))
                        let preference: Double = r > 0 ? 1 : 0
                        observed += c * (preference - s) * (preference - s) - s * s
                    }
                    let scale = spark ? Double(positives(userItems, u)) : 1
                    sum += quadratic + observed + Double(configuration.regularization) * scale * Double(VectorKernels.dot(x, x, k))
                }
                partial[chunk] = sum
            }
        }
        var itemPenalty = 0.0
        for i in 0..<items.rows {
            let scale = spark ? Double(positives(itemUsers, i)) : 1
            itemPenalty += scale * Double(VectorKernels.dot(items.row(i), items.row(i), k))
        }
        return partial.reduce(0, +) + Double(configuration.regularization) * itemPenalty
    }

    /// Solves one row's vector against fixed `source` factors, as a half-step would: the fold-in
    /// of a listener (or item) that was not in training, or a re-solve of one that was.
    /// `gram` is `source`ᵀ`source`; with CG, `start` is the warm start (zeros if nil).
    public func solveRow(
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
                solver.solve(columns: c, values: v, source: source, gram: g.baseAddress!, gramFloat: gf.baseAddress!, target: x.baseAddress!)
            }}}
        }}
        guard finite else { throw EncoreError.nonFinite("the solved vector is not finite") }
        return x
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
