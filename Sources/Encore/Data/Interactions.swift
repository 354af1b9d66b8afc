/// A list of (user, item, weight) observations with their ID tables: what a reader produces and
/// what splitting and training consume. Duplicate pairs may appear; they are summed when the
/// training matrix is built.
package struct Interactions: Sendable {
    /// The users' original IDs.
    package var userIDs: IDIndex
    /// The items' original IDs.
    package var itemIDs: IDIndex
    /// Display names by item index ("" where unknown), when the data set has names.
    package var itemNames: [String]?
    /// Dense user index of each observation.
    package var users: [UInt32]
    /// Dense item index of each observation.
    package var items: [UInt32]
    /// Weight (play count, …) of each observation; finite and ≥ 0.
    package var weights: [Float]
    /// Unix time in seconds of each observation, when the format has timestamps.
    package var timestamps: [Int64]?

    /// Observations over the given ID tables; all arrays must have the same length.
    package init(
        userIDs: IDIndex, itemIDs: IDIndex, users: [UInt32], items: [UInt32], weights: [Float],
        timestamps: [Int64]? = nil, itemNames: [String]? = nil
    ) {
        precondition(users.count == items.count && items.count == weights.count, "observation arrays differ in length")
        precondition(timestamps == nil || timestamps!.count == users.count, "timestamps differ in length")
        self.userIDs = userIDs
        self.itemIDs = itemIDs
        self.users = users
        self.items = items
        self.weights = weights
        self.timestamps = timestamps
        self.itemNames = itemNames
    }

    /// Builds interactions from (user ID, item ID, weight) triples, numbering IDs in order of
    /// first appearance.
    package init(triples: [(user: String, item: String, weight: Float)]) throws {
        var userNumbers: [String: Int] = [:], itemNumbers: [String: Int] = [:]
        var userList: [String] = [], itemList: [String] = []
        var users: [UInt32] = [], items: [UInt32] = [], weights: [Float] = []
        for triple in triples {
            guard triple.weight.isFinite, triple.weight >= 0 else {
                throw EncoreError.invalidArgument("weight \(triple.weight) for (\(triple.user), \(triple.item)) must be finite and not negative")
            }
            let u = userNumbers[triple.user] ?? { userList.append(triple.user); userNumbers[triple.user] = userList.count - 1; return userList.count - 1 }()
            let i = itemNumbers[triple.item] ?? { itemList.append(triple.item); itemNumbers[triple.item] = itemList.count - 1; return itemList.count - 1 }()
            users.append(UInt32(u))
            items.append(UInt32(i))
            weights.append(triple.weight)
        }
        self.init(userIDs: try IDIndex(ids: userList), itemIDs: try IDIndex(ids: itemList), users: users, items: items, weights: weights)
    }

    /// Number of observations (before duplicates are summed).
    package var count: Int { users.count }

    /// The users × items matrix with duplicate pairs summed.
    package func userItemMatrix() -> SparseMatrix {
        SparseMatrix(rowCount: userIDs.count, columnCount: itemIDs.count, rows: users, columns: items, values: weights)
    }

    /// The observations at `positions`, over the same ID tables.
    package func subset(_ positions: [Int]) -> Interactions {
        Interactions(
            userIDs: userIDs, itemIDs: itemIDs,
            users: positions.map { users[$0] }, items: positions.map { items[$0] }, weights: positions.map { weights[$0] },
            timestamps: timestamps.map { stamps in positions.map { stamps[$0] } }, itemNames: itemNames
        )
    }
}
