/// The learned factors: one k-vector per user and per item, in users × items orientation.
package struct FactorModel: Recommender, Sendable {
    /// Users × k.
    package let userFactors: DenseMatrix
    /// Items × k.
    package let itemFactors: DenseMatrix
    /// Objective after each iteration.
    package let lossHistory: [Double]

    /// Factors as learned (or loaded).
    package init(userFactors: DenseMatrix, itemFactors: DenseMatrix, lossHistory: [Double] = []) {
        precondition(userFactors.columns == itemFactors.columns, "user and item factors differ in rank")
        self.userFactors = userFactors
        self.itemFactors = itemFactors
        self.lossHistory = lossHistory
    }

    /// Latent dimension k.
    package var factors: Int { userFactors.columns }

    /// Number of users (rows of the score matrix).
    package var userCount: Int { userFactors.rows }
    /// Number of items (columns of the score matrix).
    package var itemCount: Int { itemFactors.rows }

    /// Writes the user's score for every item into `scores`.
    package func scoreItems(forUser user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        // The same kernel as BatchRecommender's blocks: a user's scores are the same bits here
        // as in any batch (SGEMV and SGEMM sum in different orders).
        VectorKernels.scores(userFactors.row(user), m: 1, lda: factors, itemFactors.storage, n: itemFactors.rows, ldb: itemFactors.stride, k: factors,
                             into: scores.baseAddress!, ldc: itemFactors.rows)
    }

    /// x_uᵀ y_i.
    package func score(user: Int, item: Int) -> Float {
        var score: Float = 0
        VectorKernels.scores(userFactors.row(user), m: 1, lda: factors, itemFactors.row(item), n: 1, ldb: factors, k: factors, into: &score, ldc: 1)
        return score
    }
}
