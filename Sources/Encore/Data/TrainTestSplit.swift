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
    /// With `testUsers`, test pairs are held out only from that many users drawn at random
    /// (seeded), every other user's pairs all train: on a huge log the scoring, and the test
    /// matrix, grow with the sample rather than with the log.
    package init(_ data: Interactions, strategy: SplitStrategy, testFraction: Double, seed: UInt64, testUsers: Int? = nil) throws {
        guard testFraction > 0, testFraction < 1 else {
            throw EncoreError.invalidArgument("--test-fraction must be between 0 and 1 exclusive (got \(testFraction))")
        }
        if strategy == .time && data.timestamps == nil {
            throw EncoreError.invalidArgument("--split time needs timestamps: use a format that has them (lastfm-1k, movielens) or --time-column")
        }
        if let testUsers, testUsers < 1 { throw EncoreError.invalidArgument("--test-users must be at least 1 (got \(testUsers))") }
        let pairs = DistinctPairs(data)
        var random = RandomSource(seed: seed, stream: 7, row: 0)
        var isTest = [Bool](repeating: false, count: pairs.count)
        let sampled = TrainTestSplit.sampledUsers(count: data.userIDs.count, taking: testUsers, seed: seed)
        switch strategy {
        case .random:
            var order = sampled.map { sampled in (0..<pairs.count).filter { sampled[Int(pairs.users[$0])] } } ?? Array(0..<pairs.count)
            order.shuffle(using: &random)
            for position in order.prefix(Int((Double(order.count) * testFraction).rounded())) { isTest[position] = true }
        case .perUser, .time:
            for user in 0..<data.userIDs.count where sampled?[user] ?? true {
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

extension TrainTestSplit {
    /// Which of `count` users are in a seeded random sample of `taking` (nil: no sampling, or
    /// the sample would hold everyone).
    static func sampledUsers(count: Int, taking: Int?, seed: UInt64) -> [Bool]? {
        guard let taking, taking < count else { return nil }
        var random = RandomSource(seed: seed, stream: 8, row: 0)
        var order = Array(0..<count)
        order.shuffle(using: &random)
        var sampled = [Bool](repeating: false, count: count)
        for user in order.prefix(taking) { sampled[user] = true }
        return sampled
    }
}

/// The distinct (user, item) pairs of some interactions, grouped by user, with summed weights
/// and the latest timestamp of each pair. Items and weights are the summed matrix's own arrays
/// (no copy); only the users are spelled out per pair, and the times when there are any.
private struct DistinctPairs {
    var users: [UInt32] = []
    var items: [UInt32]
    var weights: [Float]
    /// Empty when the data has no timestamps.
    var latest: [Int64] = []
    var userStarts: [Int]

    init(_ data: Interactions) {
        let matrix = data.userItemMatrix()
        userStarts = matrix.offsets.array
        items = matrix.indices.array
        weights = matrix.values.array
        if let stamps = data.timestamps {
            latest = [Int64](repeating: .min, count: matrix.nonZeroCount)
            for p in 0..<data.count {
                let user = Int(data.users[p])
                let range = matrix.range(ofRow: user)
                // Binary search for the item within the user's sorted row.
                var low = range.lowerBound, high = range.upperBound
                while low < high {
                    let mid = (low + high) / 2
                    if matrix.indices[mid] < data.items[p] { low = mid + 1 } else { high = mid }
                }
                latest[low] = max(latest[low], stamps[p])
            }
        }
        users.reserveCapacity(matrix.nonZeroCount)
        for user in 0..<matrix.rowCount { users.append(contentsOf: repeatElement(UInt32(user), count: matrix.range(ofRow: user).count)) }
    }

    var count: Int { users.count }

    func userRange(_ user: Int) -> Range<Int> { userStarts[user]..<userStarts[user + 1] }

    /// The pairs at the positions `keep` accepts, copied straight into their arrays.
    func interactions(of data: Interactions, where keep: (Int) -> Bool) -> Interactions {
        var keptUsers: [UInt32] = [], keptItems: [UInt32] = [], keptWeights: [Float] = [], keptTimes: [Int64] = []
        let kept = (0..<count).reduce(0) { keep($1) ? $0 + 1 : $0 }
        keptUsers.reserveCapacity(kept)
        keptItems.reserveCapacity(kept)
        keptWeights.reserveCapacity(kept)
        if !latest.isEmpty { keptTimes.reserveCapacity(kept) }
        for position in 0..<count where keep(position) {
            keptUsers.append(users[position])
            keptItems.append(items[position])
            keptWeights.append(weights[position])
            if !latest.isEmpty { keptTimes.append(latest[position]) }
        }
        return Interactions(
            userIDs: data.userIDs, itemIDs: data.itemIDs, users: keptUsers, items: keptItems, weights: keptWeights,
            timestamps: data.timestamps == nil ? nil : keptTimes, itemNames: data.itemNames
        )
    }
}
