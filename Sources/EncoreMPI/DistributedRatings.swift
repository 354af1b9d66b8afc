import Encore

/// One process's share of a ratings file that every process of the job read together: its users'
/// observations and its items' observations (each pair is held twice, once by the user's owner
/// and once by the item's), plus the job-wide counts. Rank 0 also holds the ID tables.
package struct DistributedRatings: Sendable {
    /// How users are split into blocks; this process owns block `rank`.
    package let users: BlockPartition
    /// How items are split into blocks; this process owns block `rank`.
    package let items: BlockPartition
    /// This process's users × all items, duplicates summed: row r is global user `users.start(rank) + r`.
    package let userRatings: SparseMatrix
    /// This process's items × all users, duplicates summed: row r is global item `items.start(rank) + r`.
    package let itemRatings: SparseMatrix
    /// Data rows read by all processes.
    package let rowsRead: Int
    /// Rows skipped as invalid (with `skipInvalid`) by all processes.
    package let rowsSkipped: Int
    /// The first few skip messages, naming file and line (rank 0 only).
    package let skipExamples: [String]
    /// IDs trimmed of surrounding whitespace by all processes.
    package let idsTrimmed: Int
    /// The first few trimmed IDs as written, naming file and line (rank 0 only).
    package let trimExamples: [String]
    /// Distinct (user, item) pairs in the whole data set.
    package let interactionCount: Int
    /// The users' original IDs in global order (rank 0 only).
    package let userIDs: [String]?
    /// The items' original IDs in global order (rank 0 only).
    package let itemIDs: [String]?
    /// The items' display names in global order, where the format has them (rank 0 only).
    package let itemNames: [String]?
}
