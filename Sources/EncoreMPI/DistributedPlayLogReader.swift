import Encore

/// Reads a binary play log (`encore import`) with every process of the job at once: each reads
/// only the rows of the two matrices it owns, straight from the file (the log already holds
/// both orientations, summed, and the job-wide ID numbering), and process 0 reads the IDs. No
/// text is parsed and nothing is shipped between processes.
package enum DistributedPlayLogReader {
    /// Reads the play log at `path`; every process calls this together. A failure (damaged
    /// file) is reported by the process that met it; the others throw `FailedElsewhere`.
    package static func read(path: String, communicator: Communicator) throws -> DistributedRatings {
        var shape: PlayLogFile.Shape?
        var failure: Error?
        do { shape = try PlayLogFile.shape(path: path) } catch { failure = error }
        // Every process meets the same header; the first (process 0) says what is wrong with it.
        try communicator.stopIfAnyFailed(failure)
        let counts = shape!
        let users = BlockPartition(count: counts.userCount, parts: communicator.size)
        let items = BlockPartition(count: counts.itemCount, parts: communicator.size)
        var parts: (userRatings: SparseMatrix, itemRatings: SparseMatrix)?
        var ids: (userIDs: [String], itemIDs: [String], itemNames: [String]?)?
        failure = nil
        do {
            parts = (try PlayLogFile.readRows(path: path, ofUsers: true, rows: users.block(communicator.rank)),
                     try PlayLogFile.readRows(path: path, ofUsers: false, rows: items.block(communicator.rank)))
            if communicator.rank == 0 { ids = try PlayLogFile.readIDs(path: path) }
        } catch {
            failure = error
        }
        try communicator.stopIfAnyFailed(failure)
        return DistributedRatings(
            users: users, items: items, userRatings: parts!.userRatings, itemRatings: parts!.itemRatings,
            rowsRead: counts.sourceRows, rowsSkipped: 0, skipExamples: [], idsTrimmed: 0, trimExamples: [],
            interactionCount: counts.nonZeroCount, userIDs: ids?.userIDs, itemIDs: ids?.itemIDs, itemNames: ids?.itemNames
        )
    }
}
