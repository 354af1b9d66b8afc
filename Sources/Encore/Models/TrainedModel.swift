import Foundation

/// Facts about how a model was trained, kept in the model file.
public struct TrainingSummary: Codable, Equatable, Sendable {
    /// Objective after each iteration.
    public var lossHistory: [Double]
    /// Seconds spent fitting (not reading or writing files).
    public var trainSeconds: Double
    /// Where the data came from, as the user named it.
    public var source: String
    /// When training finished (ISO 8601).
    public var createdAt: String

    /// A summary with the given facts.
    public init(lossHistory: [Double], trainSeconds: Double, source: String, createdAt: String) {
        self.lossHistory = lossHistory
        self.trainSeconds = trainSeconds
        self.source = source
        self.createdAt = createdAt
    }
}

/// Everything a trained model is: factors, hyperparameters, ID tables, item names and each
/// user's training items with their weights. This is what the model file stores and what
/// retrieval, the CLI and the server work from.
///
/// Immutable by construction: every stored property is a `let` of a `Sendable` type, so the
/// compiler checks `Sendable` (no `@unchecked`), and the values derived from the parts are each
/// worked out once, on first use, and never change (`ComputedOnce`). The factor matrices are
/// `DenseMatrix`, a class whose elements could be written through `row(_:)`; nothing writes
/// a model's after it is made, the promise `DenseMatrix`'s own `@unchecked Sendable` rests on.
package final class TrainedModel: Recommender, Sendable {
    /// The hyperparameters it was trained with.
    package let configuration: ALSConfiguration
    /// Users' original IDs.
    package let userIDs: IDIndex
    /// Items' original IDs.
    package let itemIDs: IDIndex
    /// Display names by item index ("" where unknown), when the data set has them.
    package let itemNames: [String]?
    /// Users × k and items × k.
    package let factors: FactorModel
    /// Users × items training weights (duplicates summed): what each user has already heard.
    package let interactions: SparseMatrix
    /// How it was trained.
    package let summary: TrainingSummary
    /// The items' tags, when the model was trained with them (`addingTags`).
    package let itemTags: ItemTags?
    /// How many items, at the end of the item table, were placed from their tags rather than
    /// trained: training never saw them, so YᵀY (fold-in, explanations) leaves them out.
    package let placedItems: Int
    /// For a model loaded from a version 4 file without checking every chunk, the rows of a
    /// user left to check, checked when `userIndex` looks the user up; nil once all is checked.
    package let userRowChecks: UserRowChecks?
    // Derived values: most commands need one or two of them, and each costs a pass over the parts.
    private let normalizedItemsOnce = ComputedOnce<DenseMatrix>()
    private let normalizedUsersOnce = ComputedOnce<DenseMatrix>()
    private let itemGramOnce = ComputedOnce<[Double]>()
    private let normOrderedItemsOnce = ComputedOnce<NormOrderedItems>()
    private let inverseItemLengthsOnce = ComputedOnce<[Float]>()
    private let nameIndexOnce = ComputedOnce<[String: [Int]]>()
    private let listenerCountsOnce = ComputedOnce<[Int]>()

    /// A model from its parts, checked for consistent shapes.
    package init(
        configuration: ALSConfiguration, userIDs: IDIndex, itemIDs: IDIndex, itemNames: [String]?,
        factors: FactorModel, interactions: SparseMatrix, summary: TrainingSummary, itemTags: ItemTags? = nil, placedItems: Int = 0,
        userRowChecks: UserRowChecks? = nil
    ) throws {
        guard factors.userFactors.rows == userIDs.count, factors.itemFactors.rows == itemIDs.count,
              itemTags == nil || itemTags!.matrix.rowCount == itemIDs.count, (0...itemIDs.count).contains(placedItems),
              interactions.rowCount == userIDs.count, interactions.columnCount == itemIDs.count,
              itemNames == nil || itemNames!.count == itemIDs.count, factors.factors == configuration.factors
        else {
            throw EncoreError.invalidArgument("model parts disagree in shape: \(userIDs.count) users, \(itemIDs.count) items, factors \(factors.userFactors.rows)×\(factors.factors) and \(factors.itemFactors.rows)×\(factors.factors)")
        }
        self.configuration = configuration
        self.userIDs = userIDs
        self.itemIDs = itemIDs
        self.itemNames = itemNames
        self.factors = factors
        self.interactions = interactions
        self.summary = summary
        self.itemTags = itemTags
        self.placedItems = placedItems
        self.userRowChecks = userRowChecks
    }

    /// Trains a model on `data` and returns it with the fitting time. `matrix`, when the caller
    /// has built it already, is `data.userItemMatrix()`; `transpose`, when given, its transpose.
    /// Both are consumed: given both (and no other reference to them), training holds each play
    /// once per side, as an index and a confidence (`ImplicitALS.fitSettingWeightsAside`).
    package static func train(
        _ data: Interactions, matrix prebuilt: consuming SparseMatrix? = nil, transpose: consuming SparseMatrix? = nil, configuration: ALSConfiguration,
        threads: Int = Parallel.defaultThreadCount, source: String = "", checkpoint: CheckpointSettings? = nil,
        resumed: ((TrainingCheckpoint) -> Void)? = nil, progress: ((ALSIterationReport) -> Void)? = nil
    ) throws -> TrainedModel {
        let start = DispatchTime.now().uptimeNanoseconds
        let (factors, matrix) = try ImplicitALS(configuration: configuration, threads: threads)
            .fitSettingWeightsAside((consume prebuilt) ?? data.userItemMatrix(), transpose: consume transpose, checkpoint: checkpoint, resumed: resumed, progress: progress)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let summary = TrainingSummary(
            lossHistory: factors.lossHistory, trainSeconds: seconds, source: source,
            createdAt: ISO8601DateFormatter().string(from: Date())
        )
        return try TrainedModel(
            configuration: configuration, userIDs: data.userIDs, itemIDs: data.itemIDs, itemNames: data.itemNames,
            factors: factors, interactions: matrix, summary: summary
        )
    }

    /// Number of users (rows of the score matrix).
    package var userCount: Int { userIDs.count }
    /// Number of items (columns of the score matrix).
    package var itemCount: Int { itemIDs.count }

    /// Writes the user's score for every item into `scores`.
    package func scoreItems(forUser user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        factors.scoreItems(forUser: user, into: scores)
    }

    /// The display name of an item, or nil when the data set has none for it.
    package func name(ofItem item: Int) -> String? {
        guard let itemNames, !itemNames[item].isEmpty else { return nil }
        return itemNames[item]
    }

    /// Item factors scaled to unit length, for cosine similarity.
    package var normalizedItemFactors: DenseMatrix { normalizedItemsOnce.value { factors.itemFactors.rowNormalized() } }

    /// 1/‖y‖ for every item vector (0 for a zero vector), 4 bytes an item: with it a cosine is a
    /// dot product with the raw vectors, so similar items and radio need no unit-length copy of
    /// the item vectors (as large as the model's: 10 GB at 40 M items × 64 factors).
    package var inverseItemLengths: [Float] {
        inverseItemLengthsOnce.value {
            let items = factors.itemFactors, k = items.columns
            var inverse = [Float](repeating: 0, count: items.rows)
            inverse.withUnsafeMutableBufferPointer { inverse in
                Parallel.forEachChunk(count: items.rows, chunkSize: 65_536, threads: Parallel.defaultThreadCount) { range, _ in
                    for item in range {
                        let norm = VectorKernels.dot(items.row(item), items.row(item), k).squareRoot()
                        inverse[item] = norm > 0 ? 1 / norm : 0
                    }
                }
            }
            return inverse
        }
    }

    /// Item `item`'s vector scaled to unit length, with `rowNormalized`'s arithmetic.
    package func unitItemVector(_ item: Int) -> [Float] {
        var vector = factors.itemFactors.rowArray(item)
        let norm = VectorKernels.dot(vector, vector, vector.count).squareRoot()
        if norm > 0 { vector.withUnsafeMutableBufferPointer { VectorKernels.scale($0.baseAddress!, 1 / norm, $0.count) } }
        return vector
    }

    /// The cosine of `unitVector` (unit length) with item `item`'s vector.
    package func cosine(_ unitVector: [Float], item: Int) -> Float {
        VectorKernels.dot(unitVector, factors.itemFactors.row(item), factors.factors) * inverseItemLengths[item]
    }

    /// The cosine of two items' vectors.
    package func cosine(item a: Int, _ b: Int) -> Float {
        cosine(item: a, b, inverseLengths: inverseItemLengths)
    }

    /// The cosine of two items' vectors, given `inverseItemLengths` (for a caller that asks many
    /// times and fetches them once).
    package func cosine(item a: Int, _ b: Int, inverseLengths inverse: [Float]) -> Float {
        let items = factors.itemFactors
        return VectorKernels.dot(items.row(a), items.row(b), items.columns) * inverse[a] * inverse[b]
    }

    /// Item factors longest first, for top-k that stops early (`BatchRecommender`).
    package var normOrderedItems: NormOrderedItems { normOrderedItemsOnce.value { NormOrderedItems(factors.itemFactors) } }

    /// User factors scaled to unit length, for similar listeners.
    package var normalizedUserFactors: DenseMatrix {
        precondition(userRowChecks == nil, "every user's factors are read: load the model checking everything")
        return normalizedUsersOnce.value { factors.userFactors.rowNormalized() }
    }

    /// How many listeners each item has: the users with a positive weight for it in the
    /// training data. An item with few has a vector learned from few people's taste (one
    /// listener's artists all get that listener's direction), so similar-item lists and radio
    /// leave such items out (`SimilarItems.defaultMinimumListeners`).
    package var listenerCounts: [Int] {
        precondition(userRowChecks?.trainingMatrixDeferred != true, "every training row is read: load the model checking the training matrix")
        return listenerCountsOnce.value {
            var counts = [Int](repeating: 0, count: itemCount)
            // Over buffers: a loaded model's arrays are a mapped file's (18 M entries on the
            // reference model), whose element-by-element subscript checks its storage each time;
            // and the counts too, which as an array captured by the closures were checked for
            // uniqueness at every increment (5.5 ns an entry, half of a one-shot `encore similar`).
            counts.withUnsafeMutableBufferPointer { counts in
                interactions.indices.withUnsafeBufferPointer { items in
                    interactions.values.withUnsafeBufferPointer { values in
                        for position in 0..<items.count where values[position] > 0 { counts[Int(items[position])] += 1 }
                    }
                }
            }
            return counts
        }
    }

    /// YᵀY (k×k, Double), shared by every fold-in and explanation.
    package var itemGram: [Double] {
        // Summed exactly as training sums it, so a fold-in reproduces a trained vector.
        itemGramOnce.value { ImplicitALS.gram(of: trainedItemFactors, threads: Parallel.defaultThreadCount) }
    }

    /// The factors of the items training solved: all of them but the placed ones.
    private var trainedItemFactors: DenseMatrix {
        guard placedItems > 0 else { return factors.itemFactors }
        let trained = DenseMatrix(rows: itemCount - placedItems, columns: factors.factors)
        for row in 0..<trained.rows { trained.row(row).update(from: factors.itemFactors.row(row), count: factors.factors) }
        return trained
    }

    /// Item indices by lower-cased name, for looking artists up by name.
    var itemsByLowercasedName: [String: [Int]] {
        nameIndexOnce.value {
            var index: [String: [Int]] = [:]
            if let itemNames { for (item, name) in itemNames.enumerated() where !name.isEmpty { index[name.lowercased(), default: []].append(item) } }
            return index
        }
    }

    /// The dense index of a user ID, or an `unknownUser` error. For a model loaded without
    /// checking every chunk, the user's rows are checked first: an `invalidModelFile` error when
    /// a chunk holding them is corrupted.
    package func userIndex(_ id: String) throws -> Int {
        guard let index = userIDs.index(of: id) else { throw EncoreError.unknownUser(id) }
        try userRowChecks?.check(user: index, factors: factors.userFactors, interactions: interactions)
        return index
    }

    /// The dense index of an item ID, or an `unknownItem` error.
    package func itemIndex(_ id: String) throws -> Int {
        guard let index = itemIDs.index(of: id) else { throw EncoreError.unknownItem(id) }
        return index
    }
}
