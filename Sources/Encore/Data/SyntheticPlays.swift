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

    /// The (user, item, plays) rows, shuffled.
    package func rows() -> [(user: UInt32, item: UInt32, plays: UInt32)] {
        var random = RandomSource(seed: seed, stream: 21, row: 0)
        // Zipf CDF over popularity ranks; rank r is drawn by binary search on a uniform.
        var cdf = [Double](repeating: 0, count: items)
        var total = 0.0
        for rank in 0..<items {
            total += 1 / pow(Double(rank + 1), popularityExponent)
            cdf[rank] = total
        }
        for rank in 0..<items { cdf[rank] /= total }
        func zipfRank(_ u: Double) -> Int {
            var low = 0, high = items - 1
            while low < high { let mid = (low + high) / 2; if cdf[mid] < u { low = mid + 1 } else { high = mid } }
            return low
        }
        // Each taste ranks the catalogue in its own order, so tastes share no favourites by design.
        let tasteOrders: [[UInt32]] = (0..<tastes).map { taste in
            var order = (0..<items).map(UInt32.init)
            var shuffler = RandomSource(seed: seed, stream: 22, row: taste)
            order.shuffle(using: &shuffler)
            return order
        }
        var rows: [(user: UInt32, item: UInt32, plays: UInt32)] = []
        rows.reserveCapacity(Int(Double(users) * meanPerUser * 1.05))
        var chosen = Set<UInt32>()
        for user in 0..<users {
            var draw = RandomSource(seed: seed, stream: 23, row: user)
            // Activity is log-normal (σ = 1) with the requested mean, at least one artist.
            let sigma = 1.0
            let gaussian = draw.nextGaussian()
            let count = min(items / 2, max(1, Int((meanPerUser * exp(sigma * gaussian - sigma * sigma / 2)).rounded())))
            let taste = Int(draw.nextUniform() * Double(tastes))
            chosen.removeAll(keepingCapacity: true)
            var attempts = 0
            while chosen.count < count && attempts < 4 * count + 20 {
                attempts += 1
                let rank = zipfRank(draw.nextUniform())
                let item = draw.nextUniform() < tasteShare ? tasteOrders[taste][rank] : UInt32(rank)
                if chosen.insert(item).inserted {
                    // Pareto play counts (shape 1.2): most artists a few plays, some thousands.
                    let plays = min(1_000_000, Int(1 / pow(max(draw.nextUniform(), 1e-12), 1 / 1.2)))
                    rows.append((user: UInt32(user), item: item, plays: UInt32(plays)))
                }
            }
        }
        rows.shuffle(using: &random)
        return rows
    }

    /// The 40-hex-digit ID of a listener.
    package func userID(_ user: UInt32) -> String {
        var random = RandomSource(seed: seed, stream: 24, row: Int(user))
        return (0..<5).map { _ in String(format: "%08x", UInt32(truncatingIfNeeded: random.next())) }.joined()
    }

    /// The name of an artist.
    package func itemID(_ item: UInt32) -> String { "artist \(String(item, radix: 36))" }

    /// The rows as a play log, IDs numbered in order of first appearance in the shuffled rows:
    /// exactly what reading the text `write(to:)` writes would give, without the text.
    package func playLog() throws -> PlayLog {
        var rows = rows()
        var userNumbers = [UInt32](repeating: .max, count: users), itemNumbers = [UInt32](repeating: .max, count: items)
        var userOrder: [UInt32] = [], itemOrder: [UInt32] = []
        var dense = (users: [UInt32](), items: [UInt32](), weights: [Float]())
        dense.users.reserveCapacity(rows.count)
        dense.items.reserveCapacity(rows.count)
        dense.weights.reserveCapacity(rows.count)
        for row in rows {
            if userNumbers[Int(row.user)] == .max { userNumbers[Int(row.user)] = UInt32(userOrder.count); userOrder.append(row.user) }
            if itemNumbers[Int(row.item)] == .max { itemNumbers[Int(row.item)] = UInt32(itemOrder.count); itemOrder.append(row.item) }
            dense.users.append(userNumbers[Int(row.user)])
            dense.items.append(itemNumbers[Int(row.item)])
            // The text holds the count's digits, which the reader parses back to this Float.
            dense.weights.append(Float(row.plays))
        }
        rows = []
        var interactions = Interactions(
            userIDs: try IDIndex(ids: userOrder.map { userID($0) }), itemIDs: try IDIndex(ids: itemOrder.map { itemID($0) }),
            users: dense.users, items: dense.items, weights: dense.weights
        )
        dense = ([], [], [])
        return PlayLog(taking: &interactions)
    }

    /// Writes the rows as `user<TAB>artist<TAB>plays` lines to `path`, atomically.
    package func write(to path: String) throws -> Int {
        let rows = rows()
        let userIDs = (0..<users).map { Array(userID(UInt32($0)).utf8) }
        let itemIDs = (0..<items).map { Array(itemID(UInt32($0)).utf8) }
        var writer = try AtomicFileWriter(path: path)
        do {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 22)
            var digits = [UInt8](repeating: 0, count: 20)
            for row in rows {
                buffer.append(contentsOf: userIDs[Int(row.user)])
                buffer.append(9)
                buffer.append(contentsOf: itemIDs[Int(row.item)])
                buffer.append(9)
                var value = row.plays, length = 0
                repeat { digits[length] = UInt8(48 + value % 10); value /= 10; length += 1 } while value > 0
                for index in stride(from: length - 1, through: 0, by: -1) { buffer.append(digits[index]) }
                buffer.append(10)
                if buffer.count > 1 << 22 - 256 {
                    try buffer.withUnsafeBytes { try writer.write($0) }
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try buffer.withUnsafeBytes { try writer.write($0) }
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
        return rows.count
    }
}
