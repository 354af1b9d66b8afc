import Foundation

/// Generates realistic play logs for benchmarks: power-law item popularity, listeners drawn from a
/// few latent tastes, heavy-tailed listener activity and play counts, string IDs shaped like
/// Last.fm 360K's (40-hex-digit user hashes, artist names), rows in random order. The same seed
/// gives the same file.
package struct SyntheticPlays: Sendable {
    /// Number of listeners.
    package var users: Int
    /// Number of artists.
    package var items: Int
    /// Mean distinct artists per listener.
    package var meanPerUser: Double
    /// Seed of every random draw.
    package var seed: UInt64
    /// Number of latent tastes listeners are drawn from.
    package var tastes = 16
    /// Share of a listener's artists drawn from their taste (the rest from overall popularity).
    package var tasteShare = 0.7
    /// Zipf exponent of artist popularity.
    package var popularityExponent = 0.9

    /// A generator for the given shape.
    package init(users: Int, items: Int, meanPerUser: Double, seed: UInt64) throws {
        guard users >= 1, items >= 2, meanPerUser >= 1, meanPerUser <= Double(items) / 2 else {
            throw EncoreError.invalidArgument("synth needs --users ≥ 1, --items ≥ 2 and 1 ≤ --mean-per-user ≤ items/2")
        }
        self.users = users
        self.items = items
        self.meanPerUser = meanPerUser
        self.seed = seed
    }

    /// The (user, item, plays) rows, shuffled (for tests and small logs: 12 bytes a row; the
    /// CLI's writers go through `generated()` and `shuffledOrder(count:)` instead).
    package func rows() -> [(user: UInt32, item: UInt32, plays: UInt32)] {
        let plays = generated()
        return shuffledOrder(count: plays.count).map { row in
            (user: UInt32(plays.user(ofRow: Int(row))), item: plays.items[Int(row)], plays: UInt32(plays.plays[Int(row)]))
        }
    }

    /// Every listener's plays, listener by listener, in the generator's own numbering: 8 bytes
    /// a play. Listeners draw from their own random streams, so they are generated on the
    /// threads into slots of their drawn size, then closed up.
    package func generated(threads: Int = Parallel.defaultThreadCount) -> GeneratedPlays {
        // Zipf CDF over popularity ranks; rank r is drawn by binary search on a uniform.
        var cdf = [Double](repeating: 0, count: items)
        var total = 0.0
        for rank in 0..<items {
            total += 1 / pow(Double(rank + 1), popularityExponent)
            cdf[rank] = total
        }
        for rank in 0..<items { cdf[rank] /= total }
        // Each taste ranks the catalogue in its own order, so tastes share no favourites by design.
        let tasteOrders: [[UInt32]] = (0..<tastes).map { taste in
            var order = (0..<items).map(UInt32.init)
            var shuffler = RandomSource(seed: seed, stream: 22, row: taste)
            order.shuffle(using: &shuffler)
            return order
        }
        // Each listener's drawn count (the first draw of their stream) bounds their row: the
        // arrays are made once at the sum, never doubled as they grow.
        var slots = [Int](repeating: 0, count: users + 1)
        for user in 0..<users {
            var draw = RandomSource(seed: seed, stream: 23, row: user)
            slots[user + 1] = slots[user] + drawnCount(&draw)
        }
        var drawnItems = [UInt32](repeating: 0, count: slots[users]), plays = [Float](repeating: 0, count: slots[users])
        var lengths = [Int](repeating: 0, count: users)
        let generator = self
        cdf.withUnsafeBufferPointer { cdf in
        drawnItems.withUnsafeMutableBufferPointer { items in
        plays.withUnsafeMutableBufferPointer { plays in
        lengths.withUnsafeMutableBufferPointer { lengths in
            Parallel.forEachChunk(count: users, chunkSize: 4096, threads: threads) { chunk, _ in
                var chosen = Set<UInt32>()
                for user in chunk {
                    lengths[user] = generator.generateListener(user, cdf: cdf, tasteOrders: tasteOrders, chosen: &chosen,
                                                               items: items.baseAddress! + slots[user], plays: plays.baseAddress! + slots[user])
                }
            }
        } } } }
        return GeneratedPlays(slots: slots, lengths: lengths, items: drawnItems, plays: plays)
    }

    /// The first draw of a listener's stream: how many artists they play. Activity is
    /// log-normal (σ = 1) with the requested mean, at least one artist.
    private func drawnCount(_ draw: inout RandomSource) -> Int {
        let sigma = 1.0
        let gaussian = draw.nextGaussian()
        return min(items / 2, max(1, Int((meanPerUser * exp(sigma * gaussian - sigma * sigma / 2)).rounded())))
    }

    /// Draws listener `user`'s artists and play counts into `items` and `plays` (room for their
    /// drawn count) and returns how many were drawn (fewer when distinct artists ran short).
    private func generateListener(
        _ user: Int, cdf: UnsafeBufferPointer<Double>, tasteOrders: [[UInt32]], chosen: inout Set<UInt32>,
        items: UnsafeMutablePointer<UInt32>, plays: UnsafeMutablePointer<Float>
    ) -> Int {
        func zipfRank(_ u: Double) -> Int {
            var low = 0, high = cdf.count - 1
            while low < high { let mid = (low + high) / 2; if cdf[mid] < u { low = mid + 1 } else { high = mid } }
            return low
        }
        var draw = RandomSource(seed: seed, stream: 23, row: user)
        let count = drawnCount(&draw)
        let taste = Int(draw.nextUniform() * Double(tastes))
        chosen.removeAll(keepingCapacity: true)
        var attempts = 0
        while chosen.count < count && attempts < 4 * count + 20 {
            attempts += 1
            let rank = zipfRank(draw.nextUniform())
            let item = draw.nextUniform() < tasteShare ? tasteOrders[taste][rank] : UInt32(rank)
            if chosen.insert(item).inserted {
                // Pareto play counts (shape 1.2): most artists a few plays, some thousands.
                let playCount = min(1_000_000, Int(1 / pow(max(draw.nextUniform(), 1e-12), 1 / 1.2)))
                items[chosen.count - 1] = item
                // Exact: at most 10⁶ < 2²⁴. The text holds the digits, which a reader parses back to this.
                plays[chosen.count - 1] = Float(playCount)
            }
        }
        return chosen.count
    }

    /// The order rows are written in: row `order[p]` of `generated()` (listener by listener) is
    /// the p-th line. One shuffle of all the rows, 4 bytes a row.
    package func shuffledOrder(count: Int) -> [UInt32] {
        precondition(count <= Int(UInt32.max), "at most 2³² − 1 rows")
        var order = [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for row in 0..<count { buffer[row] = UInt32(row) }
            initialized = count
        }
        var random = RandomSource(seed: seed, stream: 21, row: 0)
        order.shuffle(using: &random)
        return order
    }

    /// The 40-hex-digit ID of a listener.
    package func userID(_ user: UInt32) -> String {
        var random = RandomSource(seed: seed, stream: 24, row: Int(user))
        return (0..<5).map { _ in String(format: "%08x", UInt32(truncatingIfNeeded: random.next())) }.joined()
    }

    /// The name of an artist.
    package func itemID(_ item: UInt32) -> String { "artist \(String(item, radix: 36))" }
}

/// Synthetic plays listener by listener: row u (the generator's listener u) is
/// `items[offsets[u]..<offsets[u + 1]]` with its play counts beside, in drawn order.
package struct GeneratedPlays {
    package var offsets: [Int]
    package var items: [UInt32]
    package var plays: [Float]
    /// The listener of every 256th entry, where `user(ofRow:)` starts looking: a few steps
    /// forward from there instead of a binary search of the offsets, whose every step misses
    /// the cache (the rows are visited in shuffled order, a billion times).
    private var landmarks: [UInt32] = []
    private static let landmarkShift = 8

    /// Rows as they are.
    package init(offsets: [Int], items: [UInt32], plays: [Float]) {
        (self.offsets, self.items, self.plays) = (offsets, items, plays)
        landmarks = GeneratedPlays.landmarks(offsets)
    }

    /// Closes up rows generated into slots (row u at `slots[u]`, `lengths[u]` long).
    init(slots: [Int], lengths: [Int], items: [UInt32], plays: [Float]) {
        var offsets = slots, items = items, plays = plays
        var write = 0
        for user in 0..<lengths.count {
            let start = slots[user]
            offsets[user] = write
            if write != start {
                for q in 0..<lengths[user] { items[write + q] = items[start + q]; plays[write + q] = plays[start + q] }
            }
            write += lengths[user]
        }
        offsets[lengths.count] = write
        items.removeSubrange(write...)
        plays.removeSubrange(write...)
        self.init(offsets: offsets, items: items, plays: plays)
    }

    private static func landmarks(_ offsets: [Int]) -> [UInt32] {
        guard let total = offsets.last, total > 0 else { return [] }
        var landmarks = [UInt32](repeating: 0, count: (total - 1) >> landmarkShift + 1)
        var user = 0
        for block in 0..<landmarks.count {
            while offsets[user + 1] <= block << landmarkShift { user += 1 }
            landmarks[block] = UInt32(user)
        }
        return landmarks
    }

    /// Number of rows.
    package var count: Int { items.count }

    /// The listener whose row holds entry `row`.
    package func user(ofRow row: Int) -> Int {
        offsets.withUnsafeBufferPointer { offsets in
            var user = Int(landmarks[row >> GeneratedPlays.landmarkShift])
            while offsets[user + 1] <= row { user += 1 }
            return user
        }
    }
}
