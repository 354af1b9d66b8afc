import Foundation

/// Top-N lists for many users from the index (`encore recommend-all`).
extension ApproximateIndex {
    /// Users searched together in one FAISS call (which spreads them over its threads).
    static let batchBlock = 4096

    /// The `count` best items for each of `userList` (all users when nil), handed to `emit` in
    /// the order of the list, as `BatchRecommender.recommend` does. A block of users is asked
    /// for enough candidates to cover most of its users' seen items; a user the filters leave
    /// short is asked again alone (`recommend`), and answered exactly if the index cannot say.
    package func recommendAll(
        _ model: TrainedModel, count: Int, userList: [Int]? = nil, seen: SparseMatrix?, filter: CandidateFilter = .everything,
        threads: Int = Parallel.defaultThreadCount, emit: (Int, [ScoredItem]) throws -> Void
    ) throws {
        let total = userList?.count ?? model.userCount
        let mask = filter.isEverything ? nil : filter.mask(itemCount: model.itemCount)
        var blockStart = 0
        while blockStart < total {
            let block = (blockStart..<min(blockStart + ApproximateIndex.batchBlock, total)).map { userList?[$0] ?? $0 }
            let lists = try recommendBlock(model, users: block, count: count, seen: seen, mask: mask, threads: threads)
            for (user, list) in zip(block, lists) {
                try emit(user, list ?? recommend(model, user: user, count: count, seen: seen, filter: filter)
                    ?? TopNRecommendation.recommend(model, user: user, count: count, seen: seen, filter: filter))
            }
            blockStart += block.count
        }
    }

    /// Seconds the exact batch path takes over seconds the index takes to write top-10 lists
    /// (seen items left out) for `users` users spread over the model.
    func batchSpeedUp(_ model: TrainedModel, users: Int, threads: Int) throws -> Double {
        let sample = (0..<min(users, model.userCount)).map { $0 * model.userCount / min(users, model.userCount) }
        let exact = BatchRecommender(users: model.factors.userFactors, items: model.factors.itemFactors, seen: model.interactions,
                                     ordered: model.normOrderedItems, threads: threads)
        let exactStart = DispatchTime.now().uptimeNanoseconds
        try exact.recommend(count: 10, userList: sample) { _, _ in }
        let exactSeconds = Double(DispatchTime.now().uptimeNanoseconds - exactStart) / 1e9
        let indexStart = DispatchTime.now().uptimeNanoseconds
        try recommendAll(model, count: 10, userList: sample, seen: model.interactions, threads: threads) { _, _ in }
        let indexSeconds = Double(DispatchTime.now().uptimeNanoseconds - indexStart) / 1e9
        return exactSeconds / max(indexSeconds, 1e-9)
    }

    /// One block's lists; nil for a user whose candidates the filters left short.
    private func recommendBlock(
        _ model: TrainedModel, users: [Int], count: Int, seen: SparseMatrix?, mask: [Bool]?, threads: Int
    ) throws -> [[ScoredItem]?] {
        let items = model.factors.itemFactors, k = items.columns
        func seenRow(_ user: Int) -> ArraySlice<UInt32> { seen.map { user < $0.rowCount ? $0.columns(ofRow: user) : [] } ?? [] }
        let seenCounts = users.map { seenRow($0).count }.sorted()
        let typicalSeen = seenCounts[seenCounts.count * 9 / 10]
        let fetch = min(recommendIndex.count, max(2 * (count + typicalSeen), 32))
        let queries = UnsafeMutablePointer<Float>.allocate(capacity: users.count * k)
        defer { queries.deallocate() }
        for (slot, user) in users.enumerated() { (queries + slot * k).update(from: model.factors.userFactors.row(user), count: k) }
        let found = try recommendIndex.search(queries, count: users.count, k: fetch, breadth: header.settings.breadth, threads: threads)
        var lists = [[ScoredItem]?](repeating: nil, count: users.count)
        lists.withUnsafeMutableBufferPointer { lists in
            Parallel.forEachChunk(count: users.count, chunkSize: 256, threads: threads) { chunk, _ in
                for slot in chunk {
                    let heard = seenRow(users[slot])
                    var top = TopK(k: count)
                    for raw in found.labels[(slot * fetch)..<((slot + 1) * fetch)] where raw >= 0 {
                        let item = Int(raw)
                        if mask?[item] == false || heard.containsSorted(UInt32(item)) { continue }
                        top.offer(index: item, score: VectorKernels.dot(queries + slot * k, items.row(item), k))
                    }
                    let list = top.sorted()
                    lists[slot] = list.count >= count || fetch == recommendIndex.count ? list : nil
                }
            }
        }
        return lists
    }
}

extension ArraySlice where Element == UInt32 {
    /// Whether the slice, sorted ascending, holds `value` (binary search).
    func containsSorted(_ value: UInt32) -> Bool {
        var low = startIndex, high = endIndex
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < endIndex && self[low] == value
    }
}
