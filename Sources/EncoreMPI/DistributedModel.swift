import Encore
import Foundation

/// Puts a distributed fit together into the same `TrainedModel` a single process would write:
/// rank 0 collects every process's users' training rows, so the model file keeps each user's
/// seen items.
package enum DistributedModel {
    /// Collective; returns the model on rank 0 and nil elsewhere.
    package static func assemble(
        ratings: DistributedRatings, fit: DistributedFit, configuration: ALSConfiguration, source: String,
        trainSeconds: Double, communicator: Communicator
    ) throws -> TrainedModel? {
        let mine = ratings.userRatings
        let rowLengths = (0..<mine.rowCount).map { Int64(mine.range(ofRow: $0).count) }
        let lengths = communicator.gatherToRoot(rowLengths)
        let indices = communicator.gatherToRoot(mine.indices.array)
        let values = communicator.gatherToRoot(mine.values.array)
        guard let lengths, let indices, let values, let users = fit.userFactors, let items = fit.itemFactors,
              let userIDs = ratings.userIDs, let itemIDs = ratings.itemIDs
        else { return nil }
        var offsets = [0]
        offsets.reserveCapacity(ratings.users.count + 1)
        for length in lengths.joined() { offsets.append(offsets.last! + Int(length)) }
        let interactions = try SparseMatrix(
            rowCount: ratings.users.count, columnCount: ratings.items.count, offsets: offsets,
            indices: Array(indices.joined()), values: Array(values.joined())
        )
        guard users.allFinite(), items.allFinite() else {
            throw EncoreError.nonFinite("the gathered factors hold a value that is not finite")
        }
        let summary = TrainingSummary(
            lossHistory: fit.lossHistory, trainSeconds: trainSeconds, source: source,
            createdAt: ISO8601DateFormatter().string(from: Date())
        )
        return try TrainedModel(
            configuration: configuration, userIDs: try IDIndex(ids: userIDs), itemIDs: try IDIndex(ids: itemIDs),
            itemNames: ratings.itemNames, factors: FactorModel(userFactors: users, itemFactors: items, lossHistory: fit.lossHistory),
            interactions: interactions, summary: summary
        )
    }
}
