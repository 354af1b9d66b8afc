/// How held-out interactions are chosen.
package enum SplitStrategy: String, Codable, Sendable, CaseIterable {
    /// A random fraction of all distinct (user, item) pairs.
    case random
    /// A random fraction of each user's items (at least one held out, at least one kept).
    case perUser = "per-user"
    /// Each user's latest fraction of items by timestamp (formats with timestamps only).
    case time
}

/// Training and test interactions over the same ID tables. Both hold distinct (user, item)
/// pairs with summed weights, so no pair is in both, and every user with test pairs has
/// training pairs.
package struct TrainTestSplit: Sendable {
    /// What the model is trained on.
    package var train: Interactions
    /// What it is scored on.
    package var test: Interactions

    /// Splits `data` with `strategy`, holding out about `testFraction` of the pairs; the same seed
    /// gives the same split.
    package init(_ data: Interactions, strategy: SplitStrategy, testFraction: Double, seed: UInt64) throws {
        guard testFraction > 0, testFraction < 1 else {
            throw EncoreError.invalidArgument("--test-fraction must be between 0 and 1 exclusive (got \(testFraction))")
        }
        if strategy == .time && data.timestamps == nil {
            throw EncoreError.invalidArgument("--split time needs timestamps: use a format that has them (lastfm-1k, movielens) or --time-column")
        }
        let pairs = DistinctPairs(data)
        var random = RandomSource(seed: seed, stream: 7, row: 0)
        var isTest = [Bool](repeating: false, count: pairs.count)
        switch strategy {
        case .random:
            var order = Array(0..<pairs.count)
            order.shuffle(using: &random)
            for position in order.prefix(Int((Double(pairs.count) * testFraction).rounded())) { isTest[position] = true }
        case .perUser, .time:
            for user in 0..<data.userIDs.count {
                var mine = Array(pairs.userRange(user))
                guard mine.count >= 2 else { continue }
                if strategy == .time {
                    // Latest last; ties by item index so the split is deterministic.
                    mine.sort { (pairs.latest[$0], pairs.items[$0]) < (pairs.latest[$1], pairs.items[$1]) }
                } else {
                    mine.shuffle(using: &random)
                }
                let held = min(mine.count - 1, max(1, Int((Double(mine.count) * testFraction).rounded())))
                for position in mine.suffix(held) { isTest[position] = true }
            }
        }
        // A user all of whose pairs landed in test cannot be scored: keep them in training.
        var trainCount = [Int](repeating: 0, count: data.userIDs.count)
        for position in 0..<pairs.count where !isTest[position] { trainCount[Int(pairs.users[position])] += 1 }
        for position in 0..<pairs.count where isTest[position] && trainCount[Int(pairs.users[position])] == 0 { isTest[position] = false }
        train = pairs.interactions(of: data, where: { !isTest[$0] })
        test = pairs.interactions(of: data, where: { isTest[$0] })
    }
}

/// The distinct (user, item) pairs of some interactions, grouped by user, with summed weights
/// and the latest timestamp of each pair.
private struct DistinctPairs {
    var users: [UInt32] = []
    var items: [UInt32] = []
    var weights: [Float] = []
    var latest: [Int64] = []
    var userStarts: [Int]

    init(_ data: Interactions) {
        let matrix = data.userItemMatrix()
        userStarts = matrix.offsets.array
        var latestByPair: [Int64] = []
        if let stamps = data.timestamps {
            latestByPair = [Int64](repeating: .min, count: matrix.nonZeroCount)
            for p in 0..<data.count {
                let user = Int(data.users[p])
                let range = matrix.range(ofRow: user)
                // Binary search for the item within the user's sorted row.
                var low = range.lowerBound, high = range.upperBound
                while low < high {
                    let mid = (low + high) / 2
                    if matrix.indices[mid] < data.items[p] { low = mid + 1 } else { high = mid }
                }
                latestByPair[low] = max(latestByPair[low], stamps[p])
            }
        }
        for user in 0..<matrix.rowCount {
            for p in matrix.range(ofRow: user) {
                users.append(UInt32(user))
                items.append(matrix.indices[p])
                weights.append(matrix.values[p])
                latest.append(latestByPair.isEmpty ? 0 : latestByPair[p])
            }
        }
    }

    var count: Int { users.count }

    func userRange(_ user: Int) -> Range<Int> { userStarts[user]..<userStarts[user + 1] }

    func interactions(of data: Interactions, where keep: (Int) -> Bool) -> Interactions {
        let kept = (0..<count).filter(keep)
        return Interactions(
            userIDs: data.userIDs, itemIDs: data.itemIDs, users: kept.map { users[$0] }, items: kept.map { items[$0] },
            weights: kept.map { weights[$0] }, timestamps: data.timestamps == nil ? nil : kept.map { latest[$0] }, itemNames: data.itemNames
        )
    }
}
