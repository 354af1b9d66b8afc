/// The most-popular baseline: every user gets the items played by the most users.
package struct PopularityRecommender: Recommender, Sendable {
    /// Number of distinct listeners of each item.
    package let listeners: [Float]
    /// Number of users it was built for.
    package let userCount: Int
    /// Number of items (columns of the score matrix).
    package var itemCount: Int { listeners.count }

    /// Counts each item's listeners in a users × items matrix (entries with weight > 0).
    package init(_ userItems: SparseMatrix) {
        var counts = [Float](repeating: 0, count: userItems.columnCount)
        for p in 0..<userItems.nonZeroCount where userItems.values[p] > 0 { counts[Int(userItems.indices[p])] += 1 }
        listeners = counts
        userCount = userItems.rowCount
    }

    /// Writes the user's score for every item into `scores`.
    package func scoreItems(forUser user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        for item in 0..<listeners.count { scores[item] = listeners[item] }
    }
}
