import CEncoreKernels

/// iALS++'s step (Rendle et al. 2021, arXiv 2110.14044) for up to `lanes` rows at once, and its
/// scratch space: for each row, the exact minimum of its objective over one block B of
/// `blockSize` dimensions, the others held. With A = G + Σ c₁ y yᵀ + λs I and b = Σ c p y
/// (`NormalEquations`), a row's step solves A_BB δ = (b − A x)_B and moves x_B by δ, keeping
/// every observed score y·x current — about n·|B|²/2 + |B|³/6 instead of the exact solve's
/// n·k²/2 + k³/6. (G x)_B, the one term that reads every dimension, comes in from a matrix
/// product taken for a chunk of rows at once (see `ImplicitALS.subspaceHalfStep`).
///
/// A step cannot raise the row's objective; repeated sweeps over the blocks converge to the
/// exact solution (block Gauss–Seidel on a positive-definite system). The residual and the
/// solve are in Double; Σ c₁ y_B y_Bᵀ is summed in Float (one SYRK), which only changes how
/// fast the sweeps converge, not where to. One per thread, reused for every row.
///
/// Use: `load` each row of a group into its own lane, `solveLoaded` once, then `apply` each
/// lane whose system was solved. The |B|×|B| systems of a group are solved side by side by one
/// kernel: a single small Cholesky is a chain of dependent square roots and divisions, and
/// solving them one at a time took 40% of a half-step on Last.fm 2K at |B| = 16.
final class SubspaceSolve {
    /// Rows whose block systems are solved together (the kernel's lane count).
    static let lanes = 8
    let blockSize: Int
    /// The lanes' Σ c₁ y_B y_Bᵀ, lane l's at l·|B|² (|B|×|B|, Float; the upper triangle is read).
    private let weightedGrams: UnsafeMutablePointer<Float>
    /// The lanes' residuals (b − A x)_B, then their steps δ: lane l's at l·|B|.
    private let steps: UnsafeMutablePointer<Double>
    /// The lanes' ridges λs.
    private let ridges: UnsafeMutablePointer<Double>
    /// The kernel's lane-interleaved systems.
    private let scratch: UnsafeMutablePointer<Double>
    /// G_BB of the block loaded now.
    private var gramBlock: UnsafePointer<Double>?
    /// √c₁·y_B of each observed vector with c₁ > 0 (n × |B|); grown on demand.
    private var gathered: UnsafeMutablePointer<Float>
    private var capacity = 0
    /// The block's width for the rows loaded now.
    private var width = 0

    /// From this many weighted vectors on, Σ c₁ y_B y_Bᵀ is one SYRK call.
    private static let syrkFrom = 16

    /// (G x)_B of up to `rows` rows (rows × |B|), which the half-step fills for its chunk.
    let product: UnsafeMutablePointer<Float>
    /// Where the half-step decodes a coded row's confidences before `load` reads them.
    let confidenceScratch = ConfidenceScratch()

    /// Scratch for blocks of up to `blockSize` dimensions and chunks of up to `rows` rows.
    init(blockSize: Int, rows: Int) {
        self.blockSize = blockSize
        product = .allocateCacheAligned(capacity: rows * blockSize)
        weightedGrams = .allocateCacheAligned(capacity: blockSize * blockSize * Self.lanes)
        steps = .allocateCacheAligned(capacity: blockSize * Self.lanes)
        ridges = .allocateCacheAligned(capacity: Self.lanes)
        scratch = .allocateCacheAligned(capacity: (blockSize + 1) * blockSize * Self.lanes)
        gathered = .allocateCacheAligned(capacity: 1)
    }

    private func reserve(_ n: Int) {
        guard capacity < n else { return }
        gathered.deallocate()
        capacity = max(n, 2 * capacity)
        gathered = .allocateCacheAligned(capacity: capacity * blockSize)
    }

    deinit {
        weightedGrams.deallocate()
        steps.deallocate()
        ridges.deallocate()
        scratch.deallocate()
        gathered.deallocate()
        product.deallocate()
    }

    /// Puts one row's block system into `lane`: A_BB = G_BB + λs I + Σ c₁ y_B y_Bᵀ and
    /// (b − A x)_B on the dimensions `range` (at most `blockSize`, the same for every lane of a
    /// group). `x` is the row's vector (k values); `gx` = (G x)_B for the current x;
    /// `gramBlock` = G_BB (|B|×|B|, row-major); `ridge` = λs. The row's observations are
    /// `columns` (rows of `source`), `values` (their weights), `confidences` (c₁; nil only for a
    /// row with none) and `scores` (y·x, kept current by `apply`).
    func load(
        lane: Int, over range: Range<Int>, x: UnsafePointer<Float>, gx: UnsafePointer<Float>, gramBlock: UnsafePointer<Double>, ridge: Double,
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences: UnsafePointer<Float>?,
        scores: UnsafePointer<Double>, source: DenseMatrix
    ) {
        let b = range.count, first = range.lowerBound, residual = steps + lane * b
        width = b
        self.gramBlock = gramBlock
        ridges[lane] = ridge
        for i in 0..<b { residual[i] = -Double(gx[i]) - ridge * Double(x[first + i]) }
        // + Σ (c p − c₁ y·x) y_B, and each √c₁ y_B gathered for + Σ c₁ y_B y_Bᵀ.
        let n = columns.count
        reserve(n)
        var weighted = 0
        if n > 0 {
            weighted = encore_subspace_gather(Self.bytes(of: source), source.stride * 4, first, b, columns.baseAddress, n, values.baseAddress,
                                              confidences, scores, residual, gathered)
        }
        addWeightedGram(count: weighted, width: b, into: weightedGrams + lane * b * b)
    }

    /// Σ c₁ y_B y_Bᵀ of the `count` gathered vectors into `weightedGram` (upper triangle).
    private func addWeightedGram(count: Int, width b: Int, into weightedGram: UnsafeMutablePointer<Float>) {
        weightedGram.update(repeating: 0, count: b * b)
        if count >= Self.syrkFrom {
            BLAS.addGram(UnsafePointer(gathered), rows: count, k: b, into: weightedGram)
            return
        }
        // Too few for a BLAS call to pay: the whole square, whose rows vectorise.
        for p in 0..<count {
            let vector = gathered + p * b
            for i in 0..<b {
                let scaled = vector[i], row = weightedGram + i * b
                for l in 0..<b { row[l] += scaled * vector[l] }
            }
        }
    }

    /// Solves the systems (G_BB + λs I + Σ c₁ y_B y_Bᵀ) δ = (b − A x)_B of lanes 0..<`count`.
    /// Returns a bit per lane whose system was not numerically positive definite: with λ = 0 a
    /// principal block may be singular, and then its row keeps its values rather than take a
    /// step that is not finite.
    func solveLoaded(count: Int) -> Int {
        Int(encore_cholesky_solve_lanes(gramBlock!, weightedGrams, ridges, steps, count, scratch, width))
    }

    /// Moves the row loaded into `lane` by its solved step: x_B += δ, and every observed score
    /// y·x by y_B·δ (`columns` and `source` as given to `load`).
    func apply(
        lane: Int, over range: Range<Int>, x: UnsafeMutablePointer<Float>, columns: UnsafeBufferPointer<UInt32>,
        scores: UnsafeMutablePointer<Double>, source: DenseMatrix
    ) {
        let b = range.count, first = range.lowerBound, step = steps + lane * b
        for i in 0..<b { x[first + i] = Float(Double(x[first + i]) + step[i]) }
        guard !columns.isEmpty else { return }
        encore_subspace_apply(Self.bytes(of: source), source.stride * 4, first, b, columns.baseAddress, columns.count, step, scores)
    }

    /// The source's storage as the kernels take it (rows `stride` floats apart).
    private static func bytes(of source: DenseMatrix) -> UnsafePointer<CChar> {
        UnsafeRawPointer(source.storage).assumingMemoryBound(to: CChar.self)
    }
}
