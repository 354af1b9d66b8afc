/// Why a user gets an item: the score split into the contributions of the items they played.
///
/// For implicit ALS the split is exact (Hu, Koren & Volinsky 2008, §5): with
/// W_u = (YᵀY + Σ_j c1_uj y_j y_jᵀ + λ s_u I)⁻¹, the user's vector is x_u = W_u Σ_j c_uj p_uj y_j,
/// so score_ui = y_iᵀ x_u = Σ_j (y_iᵀ W_u y_j) c_uj p_uj — one term per played item j.
/// The terms sum to the score of the exact solve against the final item factors. That is the
/// stored user vector for Cholesky-trained models (users are solved last); for CG-trained ones
/// the stored vector is a few CG steps from it, and both scores are reported.
package struct ScoreExplanation: Sendable {
    /// One played item's share of the score.
    package struct Contribution: Sendable, Equatable {
        /// The played item's index.
        package var item: Int
        /// Its share of the score.
        package var contribution: Float
    }

    /// The user's played items, largest contribution first.
    package let contributions: [Contribution]
    /// Σ contributions: the score of the exact solve.
    package let score: Float
    /// x_uᵀ y_i with the stored user vector.
    package let modelScore: Float

    /// Explains the score of `item` for `user`.
    package init(user: Int, item: Int, in model: TrainedModel) throws {
        let k = model.factors.factors, configuration = model.configuration
        let items = model.factors.itemFactors
        // The user's own system, as training solves it (NormalEquations: G weighted by 1 + α₀, λ·s).
        var a = NormalEquations.weightedGram(model.itemGram, configuration)
        let equations = NormalEquations(k: k, configuration: configuration, otherSide: items.rows)
        let played = model.interactions.range(ofRow: user)
        var positives = 0
        for p in played {
            let r = model.interactions.values[p]
            let c1 = Double(configuration.confidence.confidenceMinusOne(r, alpha: configuration.alpha, epsilon: configuration.epsilon))
            if r > 0 { positives += 1 }
            let y = items.row(Int(model.interactions.indices[p]))
            for i in 0..<k { for j in 0..<k { a[i * k + j] += c1 * Double(y[i]) * Double(y[j]) } }
        }
        let lambda = Double(configuration.regularization) * Double(equations.scale(positives: positives))
        for i in 0..<k { a[i * k + i] += lambda }
        // w = W_u y_i, so each contribution is (wᵀ y_j) c_uj p_uj.
        let target = items.row(item)
        var w = (0..<k).map { Double(target[$0]) }
        let solved = a.withUnsafeMutableBufferPointer { a in w.withUnsafeMutableBufferPointer { BLAS.solvePositiveDefinite(a.baseAddress!, $0.baseAddress!, k: k) } }
        guard solved else { throw EncoreError.nonFinite("the user's normal equations are singular; no exact explanation exists") }
        var contributions: [Contribution] = []
        var total = 0.0
        for p in played where model.interactions.values[p] > 0 {
            let j = Int(model.interactions.indices[p])
            let r = model.interactions.values[p]
            let c = 1 + Double(configuration.confidence.confidenceMinusOne(r, alpha: configuration.alpha, epsilon: configuration.epsilon))
            let y = items.row(j)
            var dot = 0.0
            for d in 0..<k { dot += w[d] * Double(y[d]) }
            total += dot * c
            contributions.append(Contribution(item: j, contribution: Float(dot * c)))
        }
        self.contributions = contributions.sorted { ($0.contribution, -$0.item) > ($1.contribution, -$1.item) }
        score = Float(total)
        modelScore = model.factors.score(user: user, item: item)
    }
}
