import CEncoreKernels

/// iALS++'s step on one row (Rendle et al. 2021, arXiv 2110.14044), and its scratch space: the
/// exact minimum of the row's objective over one block B of `blockSize` dimensions, the others
/// held. With A = G + Σ c₁ y yᵀ + λs I and b = Σ c p y (`NormalEquations`), it solves
/// A_BB δ = (b − A x)_B and moves x_B by δ, keeping every observed score y·x current — so a step
/// costs n·|B|² + |B|³/6 instead of the exact solve's n·k²/2 + k³/6, and (G x)_B, the one term
/// that reads every dimension, comes in from a matrix product taken for all rows at once (see
/// `ImplicitALS.subspaceHalfStep`). A step cannot raise the row's objective; repeated sweeps
/// over the blocks converge to the exact solution (block Gauss–Seidel on a positive-definite
/// system). In Double throughout. One per thread, reused for every row.
final class SubspaceSolve {
    let blockSize: Int
    /// A_BB, |B|×|B| row-major (the lower triangle is what the Cholesky kernel reads).
    private let block: UnsafeMutablePointer<Double>
    /// The block's residual (b − A x)_B, then its step δ.
    private let delta: UnsafeMutablePointer<Double>
    /// One observed vector's block, in Double.
    private let vector: UnsafeMutablePointer<Double>

    /// How many vectors ahead a step requests from memory.
    private static let lookahead = 6

    init(blockSize: Int) {
        self.blockSize = blockSize
        block = .allocateCacheAligned(capacity: blockSize * blockSize)
        delta = .allocateCacheAligned(capacity: blockSize)
        vector = .allocateCacheAligned(capacity: blockSize)
    }

    deinit {
        block.deallocate()
        delta.deallocate()
        vector.deallocate()
    }

    /// One row's step on the dimensions `range` (at most `blockSize` of them). `x` is the row's
    /// vector (k values, moved in place); `gx` = (G x)_B for the current x; `gramBlock` = G_BB
    /// (|B|×|B|, row-major); `ridge` = λs. The row's observations are `columns` (rows of
    /// `source`), `values` (their weights), `confidences` (c₁) and `scores` (y·x, kept current).
    func step(
        over range: Range<Int>, x: UnsafeMutablePointer<Float>, gx: UnsafePointer<Float>, gramBlock: UnsafePointer<Double>, ridge: Double,
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences: UnsafePointer<Float>,
        scores: UnsafeMutablePointer<Double>, source: DenseMatrix
    ) {
        let b = range.count, first = range.lowerBound
        // G_BB + λs I and −(G x + λs x)_B.
        block.update(from: gramBlock, count: b * b)
        for i in 0..<b {
            block[i * b + i] += ridge
            delta[i] = -Double(gx[i]) - ridge * Double(x[first + i])
        }
        // + Σ c₁ y_B y_Bᵀ and + Σ (c p − c₁ y·x) y_B; the whole square, whose rows vectorise
        // (the Cholesky kernel then reads its lower triangle).
        let n = columns.count
        for p in 0..<n {
            // Each vector's block is its own cache line or two, scattered over the source:
            // requested a few vectors ahead so the misses overlap the arithmetic.
            if p + SubspaceSolve.lookahead < n {
                encore_prefetch_l2(UnsafeRawPointer(source.row(Int(columns[p + SubspaceSolve.lookahead])) + first))
            }
            let y = UnsafePointer(source.row(Int(columns[p]))) + first, c1 = Double(confidences[p])
            for i in 0..<b { vector[i] = Double(y[i]) }
            let preference: Double = values[p] > 0 ? 1 : 0
            let coefficient = (1 + c1) * preference - c1 * scores[p]
            for i in 0..<b { delta[i] += coefficient * vector[i] }
            guard c1 > 0 else { continue }
            for i in 0..<b {
                let weighted = c1 * vector[i], row = block + i * b
                for l in 0..<b { row[l] += weighted * vector[l] }
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
