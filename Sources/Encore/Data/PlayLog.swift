/// A play log ready for training: the interned IDs and both orientations of the summed play
/// matrix (users × items and items × users), with nothing per row but what training reads.
/// What `encore import` writes to a binary play log (`PlayLogFile`) and what `encore train`
/// trains on, from text or from that file alike.
package struct PlayLog: Sendable {
    /// The users' original IDs, by row of `userItems`.
    package var userIDs: IDIndex
    /// The items' original IDs, by row of `itemUsers`.
    package var itemIDs: IDIndex
    /// Display names by item index ("" where unknown), when the data set has names.
    package var itemNames: [String]?
    /// Users × items, repeated (user, item) rows summed.
    package var userItems: SparseMatrix
    /// Items × users: the transpose of `userItems`.
    package var itemUsers: SparseMatrix
    /// How many rows the source had before repeated pairs were summed.
    package var sourceRows: Int

    /// A log from its parts; `itemUsers` must be the transpose of `userItems`.
    package init(userIDs: IDIndex, itemIDs: IDIndex, itemNames: [String]?, userItems: SparseMatrix, itemUsers: SparseMatrix, sourceRows: Int) {
        self.userIDs = userIDs
        self.itemIDs = itemIDs
        self.itemNames = itemNames
        self.userItems = userItems
        self.itemUsers = itemUsers
        self.sourceRows = sourceRows
    }

    /// Builds both orientations from `interactions`, which it empties as it goes: the
    /// coordinate arrays are released as soon as the users × items matrix holds them, and the
    /// transpose is made from that matrix, so at most one builder's arrays are alive at a time.
    package init(taking interactions: inout Interactions) {
        let rows = interactions.count
        let users = interactions.userIDs, items = interactions.itemIDs, names = interactions.itemNames
        let userItems = PlayMatrixBuilder.userItems(taking: &interactions)
        self.init(userIDs: users, itemIDs: items, itemNames: names, userItems: userItems, itemUsers: userItems.transposed(), sourceRows: rows)
    }

    /// The summed plays as coordinate rows (one per stored (user, item) pair, in user order),
    /// for what splits plays into training and test sets.
    package func interactions() -> Interactions {
        var users = [UInt32](repeating: 0, count: userItems.nonZeroCount)
        for user in 0..<userItems.rowCount {
            for position in userItems.range(ofRow: user) { users[position] = UInt32(user) }
        }
        return Interactions(userIDs: userIDs, itemIDs: itemIDs, users: users, items: userItems.indices.array, weights: userItems.values.array, itemNames: itemNames)
    }

    /// The log's ID tables and names with no coordinate rows: what a model keeps of the data
    /// beside its matrix.
    package var idTables: Interactions {
        Interactions(userIDs: userIDs, itemIDs: itemIDs, users: [], items: [], weights: [], itemNames: itemNames)
    }
}

extension PlayLog {
    /// Hands over both matrices, leaving empty ones: a trainer that is given them owns the only
    /// copies, and can set the weights aside once it has the confidences.
    package mutating func takeMatrices() -> (userItems: SparseMatrix, itemUsers: SparseMatrix) {
        let empty = SparseMatrix(uncheckedRowCount: 0, columnCount: 0, offsets: [0], indices: [], values: [])
        defer { (userItems, itemUsers) = (empty, empty) }
        return (userItems, itemUsers)
    }
}
