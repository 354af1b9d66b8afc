import CEncoreKernels
import Foundation

/// The arithmetic of one row's normal equations, `(G + Σ c₁ y yᵀ + λ s I) x = Σ c p y` with
/// c₁ = c − 1 = α·g(r), G = (1 + α₀)·YᵀY, s = (n + α₀·N)^ν, and its share of the objective — written once, here, for every
/// trainer: the single-process half-step and the three distributed strategies all reach it
/// through `RowSolver`, so a change to the model (a new regularization, a new confidence) is one
/// change in one file, tested once against the dense reference (Tests/…/DenseReference).
package struct NormalEquations: Sendable {
    /// The rank.
    package let k: Int
    /// The hyperparameters the rules read (confidence, α, ε, λ and its scaling).
    package let configuration: ALSConfiguration
    /// N, the other side's row count (items for a user row): the unobserved pairs' share of a
    /// row's frequency n + α₀·N.
    package let otherSide: Int
    /// ν, the exponent of the row weight (n + α₀·N)^ν.
    private let exponent: Double

    /// Rows are gathered for SYRK in blocks of this many, bounding memory for very popular items.
    static let gatherBlock = 256

    /// The rules for rank-`k` rows, whose other side has `otherSide` rows, trained as
    /// `configuration` says.
    package init(k: Int, configuration: ALSConfiguration, otherSide: Int) {
        self.k = k
        self.configuration = configuration
        self.otherSide = otherSide
        exponent = Double(configuration.effectiveRegularizationExponent)
    }

    /// 1 + α₀, the weight of G = YᵀY in every row's system: an unobserved pair weighs 1 (Hu–Koren)
    /// plus α₀ (Rendle's weight on every pair's squared score).
    package static func gramWeight(_ configuration: ALSConfiguration) -> Double { 1 + Double(configuration.unobservedWeight) }

    /// G = (1 + α₀)·YᵀY from YᵀY (left as it is when α₀ = 0, so the classic model keeps its bits).
    package static func weightedGram(_ gram: [Double], _ configuration: ALSConfiguration) -> [Double] {
        configuration.unobservedWeight == 0 ? gram : gram.map { $0 * gramWeight(configuration) }
    }

    /// c − 1 = α·g(r) of one observed weight.
    @inline(__always) func confidenceMinusOne(_ r: Float) -> Float {
        configuration.confidence.confidenceMinusOne(r, alpha: configuration.alpha, epsilon: configuration.epsilon)
    }

    /// s = (n + α₀·N)^ν, the regularization's weight for a row with n = `positives` entries of
    /// r > 0: 1 when ν = 0 (flat, as `implicit`), n when ν = 1 and α₀ = 0 (Spark's scaling) —
    /// both exact, so those models keep their bits.
    @inline(__always) func scale(positives: Int) -> Float {
        let frequency = Double(positives) + Double(configuration.unobservedWeight) * Double(otherSide)
        if exponent == 0 { return 1 }
        if exponent == 1 { return Float(frequency) }
        return Float(pow(frequency, exponent))
    }

    /// λ·s, the ridge added to a row's diagonal. (λ·1 is λ to the bit, so flat needs no branch.)
    @inline(__always) func ridge(positives: Int) -> Float {
        configuration.regularization * scale(positives: positives)
    }

    /// Adds Σ c₁ y yᵀ over the `count` vectors of `row` with c₁ > 0 into `system` (upper
    /// triangle): the vectors, scaled by √c₁ and converted to `T`, go through `buffer`
    /// (`gatherBlock` × k) a block at a time into `addGram` (SYRK in Float or Double). Scaling by
    /// √c₁ makes the weighted sum one symmetric rank-m update, which BLAS does at full speed.
    func addWeightedGram<T: BinaryFloatingPoint>(
        of row: PackedRow, count n: Int, through buffer: UnsafeMutablePointer<T>, into system: UnsafeMutablePointer<T>,
        _ addGram: (UnsafePointer<T>, Int, Int, UnsafeMutablePointer<T>) -> Void
    ) {
        let k = self.k, vectors = row.vectors, confidences = row.confidences
        var filled = 0
        for p in 0..<n where confidences[p] > 0 {
            let scale = T(confidences[p]).squareRoot(), y = vectors + p * k, gathered = buffer + filled * k
            for j in 0..<k { gathered[j] = scale * T(y[j]) }
            filled += 1
            if filled == NormalEquations.gatherBlock {
                addGram(buffer, filled, k, system)
                filled = 0
            }
        }
        addGram(buffer, filled, k, system)
    }

    /// b = Σ_{r>0} c y over the packed row, into `b` (k values); returns how many of its vectors
    /// have c₁ > 0 (the m of the Woodbury system).
    func rightHandSide(of row: PackedRow, values: UnsafeBufferPointer<Float>, into b: UnsafeMutablePointer<Double>) -> Int {
        encore_right_hand_side(k, values.count, row.vectors, row.confidences, values.baseAddress, b)
    }

    /// Σ c p² = Σ_{r>0} c over the packed row: the constant of its objective, which a system
    /// summed from pieces must carry along (a row solved whole never needs it).
    func weightSum(of row: PackedRow, values: UnsafeBufferPointer<Float>) -> Double {
        let confidences = row.confidences
        var sum = 0.0
        for p in 0..<values.count where values[p] > 0 { sum += 1 + Double(confidences[p]) }
        return sum
    }

    /// A row's share of the objective, from what a solve leaves at hand: `quadratic` = xᵀGx,
    /// `scores` = y·x and `confidences` = c₁ of its observations (`values`), `normSquared` =
    /// ‖x‖². It is xᵀGx + Σ_observed [c (p − s)² − s²] + λ s ‖x‖² with s = y·x — the row's
    /// Σ_all c (p − xᵀy)² + λ s ‖x‖² without reading a vector it did not observe.
    func objectiveTerm(
        quadratic: Double, values: UnsafeBufferPointer<Float>, scores: UnsafePointer<Float>, confidences: UnsafePointer<Float>,
        normSquared: Float
    ) -> Double {
        var positives = 0
        let observed = encore_observed_objective(values.count, values.baseAddress, scores, confidences, &positives)
        return quadratic + observed + Double(ridge(positives: positives)) * Double(normSquared)
    }

    /// The same share from the row's summed system (a `Record` plus G): xᵀ(G + Σ c₁yyᵀ)x −
    /// 2xᵀ(Σ cpy) + Σ cp² + λ s ‖x‖², with `system` = G + Σ c₁ y yᵀ (k×k, full, no ridge).
    func objectiveTerm(
        system: UnsafePointer<Double>, rhs: UnsafePointer<Double>, weightSum: Double, positives: Int, x: UnsafePointer<Float>
    ) -> Double {
        var quadratic = 0.0, linear = 0.0, norm = 0.0
        for i in 0..<k {
            var sum = 0.0
            for l in 0..<k { sum += system[i * k + l] * Double(x[l]) }
            quadratic += Double(x[i]) * sum
            linear += Double(x[i]) * rhs[i]
            norm += Double(x[i]) * Double(x[i])
        }
        return quadratic - 2 * linear + weightSum + Double(ridge(positives: positives)) * norm
    }

    /// The layout of a row's system accumulated in pieces (distributed training sums the
    /// pieces of one row that several processes hold): the upper triangle of Σ c₁ y yᵀ, row by
    /// row, then Σ c p y, then Σ c p² — all in Double, as Spark accumulates them. Its length
    /// is what docs/distributed.md's full-gridify formula counts per record.
    package enum Record {
        /// Doubles in one record.
        package static func length(k: Int) -> Int { k * (k + 1) / 2 + k + 1 }
        /// Where Σ c p y starts (Σ c p² follows its k values).
        static func rhsOffset(k: Int) -> Int { k * (k + 1) / 2 }
    }
}
