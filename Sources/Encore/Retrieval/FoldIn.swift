/// Recommendations for a listener the model was not trained on, without retraining: their
/// vector is solved against the fixed item factors exactly as a training half-step would solve
/// it (same confidence, same regularization), with the exact solver.
package enum FoldIn {
    /// The listener vector for `plays` (item index → weight, e.g. play count).
    package static func userVector(plays: [Int: Float], in model: TrainedModel) throws -> [Float] {
        for (item, weight) in plays {
            guard item >= 0, item < model.itemCount else { throw EncoreError.invalidArgument("item index \(item) is outside the model") }
            guard weight.isFinite, weight >= 0 else {
                throw EncoreError.invalidArgument("the play count for \(model.itemIDs.id(at: item)) must be a finite number ≥ 0 (got \(weight))")
            }
        }
        var configuration = model.configuration
        // Exact even for CG-trained models: a fold-in has no previous vector to warm-start from.
        configuration.solver = .cholesky
        let sorted = plays.keys.sorted()
        return try ImplicitALS(configuration: configuration, threads: 1).solveRow(
            columns: sorted.map(UInt32.init), values: sorted.map { plays[$0]! }, source: model.factors.itemFactors, gram: model.itemGram
        )
    }

    /// The `count` best items for a listener with `plays`, leaving out what they played unless
    /// `includePlayed`. With `ordered` (the model's `normOrderedItems`, for a caller that keeps
    /// the model, as the server does), items are scored longest first and scoring stops as soon
    /// as no unscored item can enter the list — the same list, bit for bit, usually after a
    /// block or two instead of the whole catalogue; without it, every item is scored (cheaper
    /// than building the order for one answer).
    package static func recommend(
        plays: [Int: Float], count: Int, in model: TrainedModel, filter: CandidateFilter = .everything, includePlayed: Bool = false,
        ordered: NormOrderedItems? = nil
    ) throws -> [ScoredItem] {
        let vector = try userVector(plays: plays, in: model)
        let items = model.factors.itemFactors
        if let ordered {
            let listener = DenseMatrix(rows: 1, columns: items.columns)
            listener.row(0).update(from: vector, count: items.columns)
            let played = plays.keys.sorted().map(UInt32.init)
            let seen = includePlayed ? nil : try SparseMatrix(
                rowCount: 1, columnCount: model.itemCount, offsets: [0, played.count], indices: played,
                values: [Float](repeating: 1, count: played.count))
            var list: [ScoredItem] = []
            try BatchRecommender(users: listener, items: items, seen: seen, candidates: filter.isEverything ? nil : filter.mask(itemCount: model.itemCount),
                                 ordered: ordered, threads: 1).recommend(count: count) { _, best in list = best }
            return list
        }
        return ScratchBuffers.shared.withBuffer(count: model.itemCount) { scores in
            // The kernel every user's scores go through (`FactorModel.scoreItems`), so a folded-in
            // vector equal to a trained one gets the same bits.
            VectorKernels.scores(vector, m: 1, lda: items.columns, items.storage, n: items.rows, ldb: items.stride, k: items.columns,
                                 into: scores.baseAddress!, ldc: items.rows)
            return TopNRecommendation.best(scores, count: count, excluding: includePlayed ? [] : Array(plays.keys), filter: filter)
        }
    }
}
