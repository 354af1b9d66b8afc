import CEncoreKernels

/// iALS++'s step on one row (Rendle et al. 2021, arXiv 2110.14044), and its scratch space: the
/// exact minimum of the row's objective over one block B of `blockSize` dimensions, the others
/// held. With A = G + Σ c₁ y yᵀ + λs I and b = Σ c p y (`NormalEquations`), it solves
/// A_BB δ = (b − A x)_B and moves x_B by δ, keeping every observed score y·x current — so a step
/// costs about n·|B|²/2 + |B|³/6 instead of the exact solve's n·k²/2 + k³/6, and (G x)_B, the one
/// term that reads every dimension, comes in from a matrix product taken for a chunk of rows at
/// once (see `ImplicitALS.subspaceHalfStep`). A step cannot raise the row's objective; repeated sweeps
/// over the blocks converge to the exact solution (block Gauss–Seidel on a positive-definite
/// system). In Double throughout. One per thread, reused for every row.
final class SubspaceSolve {
    let blockSize: Int
    /// A_BB, |B|×|B| row-major (the lower triangle is what the Cholesky kernel reads).
    private let block: UnsafeMutablePointer<Double>
    /// The block's residual (b − A x)_B, then its step δ.
    private let delta: UnsafeMutablePointer<Double>
    /// √c₁·y_B of each observed vector with c₁ > 0, in Double (n × |B|); grown on demand.
    private var gathered: UnsafeMutablePointer<Double>
    private var capacity = 0

    /// How many vectors ahead a step requests from memory.
    private static let lookahead = 6
    /// From this many weighted vectors on, Σ c₁ y_B y_Bᵀ is one SYRK call.
    private static let syrkFrom = 16

    /// (G x)_B of up to `rows` rows (rows × |B|), which the half-step fills for its chunk.
    let product: UnsafeMutablePointer<Float>

    /// Scratch for blocks of up to `blockSize` dimensions and chunks of up to `rows` rows.
    init(blockSize: Int, rows: Int) {
        self.blockSize = blockSize
        product = .allocateCacheAligned(capacity: rows * blockSize)
        block = .allocateCacheAligned(capacity: blockSize * blockSize)
        delta = .allocateCacheAligned(capacity: blockSize)
        gathered = .allocateCacheAligned(capacity: 1)
    }

    private func reserve(_ n: Int) {
        guard capacity < n else { return }
        gathered.deallocate()
        capacity = max(n, 2 * capacity)
        gathered = .allocateCacheAligned(capacity: capacity * blockSize)
    }

    deinit {
        block.deallocate()
        delta.deallocate()
        gathered.deallocate()
        product.deallocate()
    }

    /// One row's step on the dimensions `range` (at most `blockSize` of them). `x` is the row's
    /// vector (k values, moved in place); `gx` = (G x)_B for the current x; `gramBlock` = G_BB
    /// (|B|×|B|, row-major); `ridge` = λs. The row's observations are `columns` (rows of
    /// `source`), `values` (their weights), `confidences` (c₁; nil only for a row with none) and
    /// `scores` (y·x, kept current).
    func step(
        over range: Range<Int>, x: UnsafeMutablePointer<Float>, gx: UnsafePointer<Float>, gramBlock: UnsafePointer<Double>, ridge: Double,
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences: UnsafePointer<Float>?,
        scores: UnsafeMutablePointer<Double>, source: DenseMatrix
    ) {
        let b = range.count, first = range.lowerBound
        // G_BB + λs I and −(G x + λs x)_B.
        block.update(from: gramBlock, count: b * b)
        for i in 0..<b {
            block[i * b + i] += ridge
            delta[i] = -Double(gx[i]) - ridge * Double(x[first + i])
        }
        // + Σ (c p − c₁ y·x) y_B, and each √c₁ y_B gathered for + Σ c₁ y_B y_Bᵀ.
        let n = columns.count
        reserve(n)
        var weighted = 0
        for p in 0..<n {
            // Each vector's block is its own cache line or two, scattered over the source:
            // requested a few vectors ahead so the misses overlap the arithmetic.
            if p + SubspaceSolve.lookahead < n {
                encore_prefetch_l2(UnsafeRawPointer(source.row(Int(columns[p + SubspaceSolve.lookahead])) + first))
            }
            let y = UnsafePointer(source.row(Int(columns[p]))) + first, c1 = Double(confidences![p])
            let preference: Double = values[p] > 0 ? 1 : 0
            let coefficient = (1 + c1) * preference - c1 * scores[p]
            for i in 0..<b { delta[i] += coefficient * Double(y[i]) }
            guard c1 > 0 else { continue }
            let root = c1.squareRoot(), out = gathered + weighted * b
            for i in 0..<b { out[i] = root * Double(y[i]) }
            weighted += 1
        }
        if weighted >= SubspaceSolve.syrkFrom {
            // SYRK fills the upper triangle; the Cholesky kernel reads the lower.
            BLAS.addGram(gathered, rows: weighted, k: b, into: block)
            for i in 0..<b { for l in (i + 1)..<max(i + 1, b) { block[l * b + i] = block[i * b + l] } }
        } else {
            // Too few for a BLAS call to pay: the whole square, whose rows vectorise.
            for p in 0..<weighted {
                let vector = gathered + p * b
                for i in 0..<b {
                    let scaled = vector[i], row = block + i * b
                    for l in 0..<b { row[l] += scaled * vector[l] }
                }
            }
        }
        // A_BB is a principal block of a positive-definite A; with λ = 0 it may be singular,
        // and then the block keeps its values rather than take a step that is not finite.
        guard DenseCholesky.solve(block, delta, n: b) else { return }
        for i in 0..<b { x[first + i] = Float(Double(x[first + i]) + delta[i]) }
        for p in 0..<columns.count {
            let y = UnsafePointer(source.row(Int(columns[p]))) + first
            var change = 0.0
            for i in 0..<b { change += Double(y[i]) * delta[i] }
            scores[p] += change
        }
    }
}
