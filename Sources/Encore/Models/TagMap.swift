import Foundation

/// A learned map from an item's tags to a vector in the factor space: ridge regression from tag
/// features to the trained item vectors, so that an item nobody has played yet can be placed
/// among those that have been (cold start).
///
/// An item's features are `log(1 + w_it) · idf_t` for each tag t of the vocabulary (w the tag's
/// weight on the item, idf_t = log(n / n_t) over the n items the map is fitted on), scaled to
/// unit length, plus a constant 1 for the mean vector. The weights solve the normal equations
/// `(FᵀF + λI) W = FᵀY` once for all k columns: one Cholesky factor in Float, refined against
/// the Double residual (one factor for k right-hand sides, where a Double solve per column
/// would factor the same matrix k times).
package struct TagMap: Sendable {
    /// λ of the ridge: on Last.fm 2K's cold-start split (`encore evaluate --cold-start-items`),
    /// 10 ranks the held-out artists best of 0.1, 1, 10, 30 and 100 (docs/music.md).
    package static let defaultRegularization = 10.0
    /// Tags on fewer fitted items are not features: a weight learned from one item is noise.
    package static let defaultMinimumItems = 2
    /// At most this many tags (the most used) are features: the normal equations are dense.
    package static let defaultMaximumTags = 2000

    /// Feature column of each vocabulary tag.
    private let column: [Int: Int]
    /// idf of each feature column.
    private let idf: [Double]
    /// (features + 1) × k, row-major; the last row is the intercept's.
    private let weights: [Double]
    /// The factor space's dimension.
    package let factors: Int

    /// Fits the map on `items` (model item indices with tags), whose vectors are rows of `targets`.
    package init(
        tags: ItemTags, targets: DenseMatrix, items: [Int], regularization: Double = TagMap.defaultRegularization,
        minimumItems: Int = TagMap.defaultMinimumItems, maximumTags: Int = TagMap.defaultMaximumTags
    ) throws {
        guard regularization > 0, regularization.isFinite else {
            throw EncoreError.invalidParameter(name: "regularization", value: "\(regularization)", requirement: "be a finite number above 0")
        }
        var documentCount = [Int](repeating: 0, count: tags.tagNames.count)
        for item in items { for p in tags.matrix.range(ofRow: item) where tags.matrix.values[p] > 0 { documentCount[Int(tags.matrix.indices[p])] += 1 } }
        let vocabulary = documentCount.indices.filter { documentCount[$0] >= minimumItems }
            .sorted { (documentCount[$0], -$0) > (documentCount[$1], -$1) }.prefix(maximumTags)
        let column = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($0.element, $0.offset) })
        let idf = vocabulary.map { log(Double(items.count) / Double(documentCount[$0])) }
        self.column = column
        self.idf = idf
        factors = targets.columns
        weights = try TagMap.solve(features: items.map { TagMap.features(of: $0, tags: tags, column: column, idf: idf) },
                                   targets: targets, items: items, width: vocabulary.count + 1, regularization: regularization)
    }

    /// The item's vector from its tags alone; nil when it has no tag of the vocabulary.
    package func place(_ item: Int, tags: ItemTags) -> [Float]? {
        let features = TagMap.features(of: item, tags: tags, column: column, idf: idf)
        guard features.count > 1 else { return nil }
        var vector = [Double](repeating: 0, count: factors)
        for (feature, value) in features { for d in 0..<factors { vector[d] += value * weights[feature * factors + d] } }
        return vector.map { Float($0) }
    }

    /// The sparse features of `item`: (column, value) for its vocabulary tags, unit length,
    /// then the intercept (the last column, 1).
    private static func features(of item: Int, tags: ItemTags, column: [Int: Int], idf: [Double]) -> [(Int, Double)] {
        var features: [(Int, Double)] = []
        for p in tags.matrix.range(ofRow: item) where tags.matrix.values[p] > 0 {
            guard let feature = column[Int(tags.matrix.indices[p])] else { continue }
            features.append((feature, log(1 + Double(tags.matrix.values[p])) * idf[feature]))
        }
        let norm = features.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot()
        if norm > 0 { features = features.map { ($0.0, $0.1 / norm) } }
        return features + [(idf.count, 1)]
    }

    /// W solving (FᵀF + λI) W = FᵀY, width × k row-major.
    private static func solve(features: [[(Int, Double)]], targets: DenseMatrix, items: [Int], width: Int, regularization: Double) throws -> [Double] {
        let k = targets.columns
        var gram = [Double](repeating: 0, count: width * width), right = [Double](repeating: 0, count: width * k)
        for (row, item) in items.enumerated() {
            let target = targets.row(item)
            for (a, x) in features[row] {
                for (b, z) in features[row] { gram[a * width + b] += x * z }
                for d in 0..<k { right[a * k + d] += x * Double(target[d]) }
            }
        }
        for i in 0..<width { gram[i * width + i] += regularization }
        var factor = gram.map { Float($0) }
        guard factor.withUnsafeMutableBufferPointer({ BLAS.factorPositiveDefinite($0.baseAddress!, k: width) }) else {
            throw EncoreError.nonFinite("the tag map's normal equations are not positive definite")
        }
        var solution = [Double](repeating: 0, count: width * k)
        var residual = right
        // Float's factor leaves an error of about its resolution; two refinements against the
        // Double residual bring W to Double's.
        for _ in 0..<3 {
            for d in 0..<k {
                var column = (0..<width).map { Float(residual[$0 * k + d]) }
                factor.withUnsafeBufferPointer { f in column.withUnsafeMutableBufferPointer { BLAS.solveFactored(f.baseAddress!, $0.baseAddress!, k: width) } }
                for i in 0..<width { solution[i * k + d] += Double(column[i]) }
            }
            var product = [Double](repeating: 0, count: width * k)
            BLAS.multiply(gram, m: width, k: width, solution, n: k, into: &product)
            for i in residual.indices { residual[i] = right[i] - product[i] }
        }
        guard solution.allSatisfy(\.isFinite) else { throw EncoreError.nonFinite("the tag map's weights are not finite") }
        return solution
    }
}
