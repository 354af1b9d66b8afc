/// A flat picture of the catalogue: the artists with the most listeners, placed in two
/// dimensions by principal component analysis of their unit-length item vectors.
///
/// Unit-length vectors, because similar artists are ranked by cosine: on the unit sphere, artists
/// a short distance apart are the ones `SimilarItems` calls similar. The two axes are the two
/// directions along which the chosen artists' unit vectors vary most (the top eigenvectors of
/// their k×k covariance); every point is its unit vector minus their mean, projected on the axes.
/// Any other item can be placed on the same plane (`position`), so the page can mark an artist
/// and its neighbours even when they are not among the most listened. The map keeps only the
/// basis items, the mean and the two axes, not the model's vectors, so a server that caches it
/// does not keep a replaced model's vectors alive.
package struct CatalogueMap: Sendable {
    /// The items the axes were computed from, most listeners first (ties by index).
    package let basisItems: [Int]
    /// The share of the chosen vectors' total variance along each axis (first, second).
    package let explainedVariance: (first: Double, second: Double)
    private let mean: [Double]
    private let axes: (first: [Double], second: [Double])

    /// The map of the `count` items of `model` with the most listeners (fewer if it has fewer).
    package init(model: TrainedModel, count: Int) throws {
        guard count >= 1 else { throw EncoreError.invalidParameter(name: "count", value: "\(count)", requirement: "be at least 1") }
        let listeners = model.listenerCounts
        basisItems = Array(listeners.indices.sorted { (listeners[$0], -$0) > (listeners[$1], -$1) }.prefix(count))
        let normalizedItems = model.normalizedItemFactors
        let k = normalizedItems.columns
        var mean = [Double](repeating: 0, count: k)
        for item in basisItems {
            let row = normalizedItems.row(item)
            for d in 0..<k { mean[d] += Double(row[d]) }
        }
        for d in 0..<k { mean[d] /= Double(max(1, basisItems.count)) }
        let covariance = CatalogueMap.covariance(of: basisItems, normalizedItems, mean: mean)
        guard let (values, vectors) = BLAS.symmetricEigendecomposition(covariance, k: k) else {
            throw EncoreError.nonFinite("the covariance of the item vectors has no eigendecomposition")
        }
        // LAPACK returns the eigenvalues in ascending order: the last two are the largest.
        func axis(_ rank: Int) -> [Double] {
            guard rank < k else { return [Double](repeating: 0, count: k) }
            return CatalogueMap.signFixed(Array(vectors[(k - 1 - rank) * k..<(k - rank) * k]))
        }
        let total = values.reduce(0) { $0 + max(0, $1) }
        func share(_ rank: Int) -> Double { rank < k && total > 0 ? max(0, values[k - 1 - rank]) / total : 0 }
        self.mean = mean
        axes = (axis(0), axis(1))
        explainedVariance = (share(0), share(1))
    }

    /// Where `item` of `model` (the model the map was made from) lies on the map.
    package func position(of item: Int, in model: TrainedModel) -> (x: Double, y: Double) {
        let vectors = model.normalizedItemFactors
        precondition(vectors.columns == mean.count, "a map of \(mean.count) factors placing an item of \(vectors.columns)")
        let row = vectors.row(item)
        var x = 0.0, y = 0.0
        for d in 0..<mean.count {
            let centred = Double(row[d]) - mean[d]
            x += centred * axes.first[d]
            y += centred * axes.second[d]
        }
        return (x, y)
    }

    /// (1/n) Σ (v − mean)(v − mean)ᵀ over the unit vectors of `items`, k×k row-major.
    private static func covariance(of items: [Int], _ vectors: DenseMatrix, mean: [Double]) -> [Double] {
        let k = vectors.columns
        var covariance = [Double](repeating: 0, count: k * k)
        var centred = [Double](repeating: 0, count: k)
        for item in items {
            let row = vectors.row(item)
            for d in 0..<k { centred[d] = Double(row[d]) - mean[d] }
            for i in 0..<k { for j in 0...i { covariance[i * k + j] += centred[i] * centred[j] } }
        }
        let n = Double(max(1, items.count))
        for i in 0..<k {
            for j in 0...i {
                covariance[i * k + j] /= n
                covariance[j * k + i] = covariance[i * k + j]
            }
        }
        return covariance
    }

    /// An eigenvector's sign is arbitrary; fixing it (largest coordinate positive) keeps the map
    /// from flipping between two runs or two builds of the same model.
    private static func signFixed(_ vector: [Double]) -> [Double] {
        guard let largest = vector.indices.max(by: { abs(vector[$0]) < abs(vector[$1]) }), vector[largest] < 0 else { return vector }
        return vector.map { -$0 }
    }
}
