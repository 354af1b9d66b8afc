import Foundation

/// Top-N lists for many users from the index (`encore recommend-all`).
extension ApproximateIndex {
    /// Users searched together: enough that each list is probed by dozens of a thread's users,
    /// so one pass over a list's head scores 64 of them at once (at 12 M items, 3,458 lists and
    /// 16 probes, a block of 4,096 users gave each list about 10 per thread).
    static let batchBlock = 32_768

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

    /// Seconds the exact batch path and the index take to write top-10 lists (seen items left
    /// out) for `users` users spread over the model.
    package func batchSeconds(_ model: TrainedModel, users: Int, threads: Int) throws -> (exact: Double, index: Double) {
        let exact = try ApproximateIndex.exactBatchSeconds(model, users: users, threads: threads)
        return (exact, try indexBatchSeconds(model, users: users, threads: threads))
    }

    /// The users the batch measurements write lists for: `users` spread evenly over the model.
    static func batchUsers(_ model: TrainedModel, _ users: Int) -> [Int] {
        (0..<min(users, model.userCount)).map { $0 * model.userCount / min(users, model.userCount) }
    }

    /// Seconds the exact batch path takes for `batchUsers`. Its longest-first order (and the
    /// copy of its head) is made for the measurement and let go after it, not kept in the model
    /// (about 13 bytes an item, 0.5 GB at 40 M items, beside the index otherwise).
    package static func exactBatchSeconds(_ model: TrainedModel, users: Int, threads: Int) throws -> Double {
        let sample = batchUsers(model, users)
        let exact = BatchRecommender(users: model.factors.userFactors, items: model.factors.itemFactors, seen: model.interactions,
                                     ordered: NormOrderedItems(model.factors.itemFactors), threads: threads)
        let start = DispatchTime.now().uptimeNanoseconds
        try exact.recommend(count: 10, userList: sample) { _, _ in }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Seconds the index takes for `batchUsers`.
    package func indexBatchSeconds(_ model: TrainedModel, users: Int, threads: Int) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try recommendAll(model, count: 10, userList: ApproximateIndex.batchUsers(model, users), seen: model.interactions, threads: threads) { _, _ in }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// One block's lists; nil for a user whose candidates the filters left short.
    private func recommendBlock(
        _ model: TrainedModel, users: [Int], count: Int, seen: SparseMatrix?, mask: [Bool]?, threads: Int
    ) throws -> [[ScoredItem]?] {
        if let lists = recommendIndex.flatListCount {
            return try scanLists(model, users: users, lists: lists, count: count, seen: seen, mask: mask, threads: threads)
        }
        return try searchBlock(model, users: users, count: count, seen: seen, mask: mask, threads: threads)
    }

    /// An IVF-flat block on Encore's own kernels: FAISS names the lists each user's search would
    /// look in; each thread takes a share of the users, gathers them by list, and scores every
    /// list against the users that probe it with `VectorKernels.scores` (the exact path's
    /// kernel, so the scores are the exact path's), straight into per-user top-k. Debian's FAISS
    /// scans lists with scalar code; this is the same search, several times faster.
    private func scanLists(
        _ model: TrainedModel, users: [Int], lists listCount: Int, count: Int, seen: SparseMatrix?, mask: [Bool]?, threads: Int
    ) throws -> [[ScoredItem]?] {
        let k = model.factors.factors, probes = min(header.settings.batchBreadth ?? header.settings.breadth, listCount), m = users.count
        let queries = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        defer { queries.deallocate() }
        for (slot, user) in users.enumerated() { (queries + slot * k).update(from: model.factors.userFactors.row(user), count: k) }
        // One OpenMP thread: the coarse search is a small product, and OpenMP's threads would spin
        // against the scanning threads below for the two cores.
        let probed = try recommendIndex.probe(queries, count: m, probes: probes, threads: 1)
        let queryLengths = (0..<m).map { VectorKernels.dot(queries + $0 * k, queries + $0 * k, k).squareRoot() }
        var results = [[ScoredItem]?](repeating: nil, count: m)
        let share = (m + threads - 1) / max(1, threads)
        results.withUnsafeMutableBufferPointer { results in
            Parallel.forEachChunk(count: m, chunkSize: share, threads: threads) { chunk, _ in
                // Two rounds: every user's nearest list first (FAISS names the probed lists nearest
                // first), so their k-th best is already high when the other lists are scanned and
                // those stop early; within a round, users are gathered by list.
                let rounds = [0..<min(1, probes), min(1, probes)..<probes].map { ranks in
                    var byList: [Int: [Int]] = [:]
                    for slot in chunk { for p in ranks where probed[slot * probes + p] >= 0 { byList[Int(probed[slot * probes + p]), default: []].append(slot) } }
                    return byList.sorted(by: { $0.key < $1.key })
                }
                var selectors = [TopK](repeating: TopK(k: count), count: chunk.count)
                let packed = UnsafeMutablePointer<Float>.allocate(capacity: 64 * k)
                var scratch = [Float](repeating: 0, count: 64 * 4096)
                defer { packed.deallocate() }
                // Lists held longest first are scanned in short blocks, and a user leaves a list
                // once their k-th best score beats ‖x‖ times the next vector's length (the exact
                // batch path's rule, within one list).
                let block = recommendLengths == nil ? 4096 : 128
                for (list, slots) in rounds.joined() {
                    let (n, labels, vectors) = recommendIndex.flatList(list)
                    guard n > 0, let labels, let vectors else { continue }
                    let lengths = recommendLengths?.lengths[list]
                    for start in stride(from: 0, to: slots.count, by: 64) {
                        var group = Array(slots[start..<min(start + 64, slots.count)])
                        var column = 0
                        while column < n {
                            if let lengths, column > 0 {
                                group.removeAll { slot in
                                    let threshold = selectors[slot - chunk.lowerBound].threshold
                                    // The margin covers the kernel's rounding, as on the exact path.
                                    return threshold > -.infinity && threshold > queryLengths[slot] * lengths[column] * 1.0001
                                }
                                if group.isEmpty { break }
                            }
                            for (row, slot) in group.enumerated() { (packed + row * k).update(from: queries + slot * k, count: k) }
                            let width = min(block, n - column)
                            scratch.withUnsafeMutableBufferPointer { scores in
                                VectorKernels.scores(packed, m: group.count, lda: k, vectors + column * k, n: width, ldb: k, k: k, into: scores.baseAddress!, ldc: width)
                                for (row, slot) in group.enumerated() {
                                    offer(scores.baseAddress! + row * width, width: width, labels: labels + column, to: &selectors[slot - chunk.lowerBound],
                                          seen: heardItems(seen, users[slot]), mask: mask)
                                }
                            }
                            column += width
                        }
                    }
                }
                for slot in chunk {
                    let list = selectors[slot - chunk.lowerBound].sorted()
                    results[slot] = list.count >= count ? list : nil
                }
            }
        }
        return results
    }

    /// Offers one user's scores of a run of list entries to their selector, skipping what they
    /// have heard and what the filter refuses.
    @inline(__always) private func offer(
        _ scores: UnsafePointer<Float>, width: Int, labels: UnsafePointer<Int64>, to selector: inout TopK, seen: Slice<MappableArray<UInt32>>?, mask: [Bool]?
    ) {
        var threshold = selector.threshold
        for j in 0..<width where scores[j] >= threshold && scores[j] > -.infinity {
            let item = Int(labels[j])
            if mask?[item] == false || seen?.containsSorted(UInt32(item)) == true { continue }
            selector.offer(index: item, score: scores[j])
            threshold = selector.threshold
        }
    }

    /// A block through FAISS's own search (any kind of index): over-fetch enough for most of the
    /// block's seen items, then filter and re-score.
    private func searchBlock(
        _ model: TrainedModel, users: [Int], count: Int, seen: SparseMatrix?, mask: [Bool]?, threads: Int
    ) throws -> [[ScoredItem]?] {
        let items = model.factors.itemFactors, k = items.columns
        let seenCounts = users.map { heardItems(seen, $0)?.count ?? 0 }.sorted()
        let typicalSeen = seenCounts[seenCounts.count * 9 / 10]
        // Not `candidates`: recommendations reach recall@10 0.995 with 32 at 4 and 40 M items, and
        // a block's candidates are held for all its users at once (32,768 × 1,024 would be 400 MB).
        let fetch = min(recommendIndex.count, max(2 * (count + typicalSeen), 32))
        let queries = UnsafeMutablePointer<Float>.allocate(capacity: users.count * k)
        defer { queries.deallocate() }
        for (slot, user) in users.enumerated() { (queries + slot * k).update(from: model.factors.userFactors.row(user), count: k) }
        let found = try recommendIndex.search(queries, count: users.count, k: fetch, breadth: header.settings.batchBreadth ?? header.settings.breadth, threads: threads)
        var lists = [[ScoredItem]?](repeating: nil, count: users.count)
        lists.withUnsafeMutableBufferPointer { lists in
            Parallel.forEachChunk(count: users.count, chunkSize: 256, threads: threads) { chunk, _ in
                for slot in chunk {
                    let heard = heardItems(seen, users[slot])
                    var top = TopK(k: count)
                    for raw in found.labels[(slot * fetch)..<((slot + 1) * fetch)] where raw >= 0 {
                        let item = Int(raw)
                        if mask?[item] == false || heard?.containsSorted(UInt32(item)) == true { continue }
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

/// The items row `user` of `seen` holds (sorted), or nil when there is no such row.
private func heardItems(_ seen: SparseMatrix?, _ user: Int) -> Slice<MappableArray<UInt32>>? {
    guard let seen, user < seen.rowCount else { return nil }
    return seen.columns(ofRow: user)
}

extension RandomAccessCollection where Element == UInt32, Index == Int {
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
