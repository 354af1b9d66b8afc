/// The learned factors: one k-vector per user and per item, in users × items orientation.
public struct FactorModel: Recommender, Sendable {
    /// Users × k.
    public let userFactors: DenseMatrix
    /// Items × k.
    public let itemFactors: DenseMatrix
    /// Objective after each iteration.
    public let lossHistory: [Double]

    /// Factors as learned (or loaded).
    public init(userFactors: DenseMatrix, itemFactors: DenseMatrix, lossHistory: [Double] = []) {
        precondition(userFactors.columns == itemFactors.columns, "user and item factors differ in rank")
        self.userFactors = userFactors
        self.itemFactors = itemFactors
        self.lossHistory = lossHistory
    }

    /// Latent dimension k.
    public var factors: Int { userFactors.columns }

    /// Number of users (rows of the score matrix).
    public var userCount: Int { userFactors.rows }
    /// Number of items (columns of the score matrix).
    public var itemCount: Int { itemFactors.rows }

    /// Writes the user's score for every item into `scores`.
    public func scoreItems(forUser user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        BLAS.multiplyVector(itemFactors.storage, rows: itemFactors.rows, columns: factors, lda: itemFactors.stride, userFactors.row(user), into: scores.baseAddress!)
    }

    /// x_uᵀ y_i.
    public func score(user: Int, item: Int) -> Float {
        VectorKernels.dot(userFactors.row(user), itemFactors.row(item), factors)
    }
}
