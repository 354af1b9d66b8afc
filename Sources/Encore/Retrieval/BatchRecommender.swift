/// Top-N lists for many users at once from a factor model: blocks of users are scored against
/// blocks of items by one kernel (`VectorKernels.scores`, the same as a single user's) and the scores go straight into per-user top-k selection, so the
/// full users × items score matrix never exists.
package struct BatchRecommender {
    /// Users scored together in one GEMM.
    static let userBlock = 64
    /// Items scored together in one GEMM; 64 × 4096 floats stay in L2.
    static let itemBlock = 4096
    /// Users whose lists are held before being handed to the caller in order.
    static let waveSize = 8192

    /// The user factors.
    package let users: DenseMatrix
    /// The item factors.
    package let items: DenseMatrix
    /// Items to leave out per user (users × items), or nil to keep everything.
    package let seen: SparseMatrix?
    /// Threads to use; results do not depend on it.
    package let threads: Int
    /// One flag per item: false for items that must never be recommended (nil: all allowed).
    package let candidates: [Bool]?
    /// The same items longest first, when given: scoring then stops, user by user, as soon as no
    /// unscored item can enter the list (the answer is the same; see `NormOrderedItems`).
    package let ordered: NormOrderedItems?

    /// A batch recommender over the given factors; `ordered`, when given, must hold `items`.
    package init(
        users: DenseMatrix, items: DenseMatrix, seen: SparseMatrix?, candidates: [Bool]? = nil,
        ordered: NormOrderedItems? = nil, threads: Int = Parallel.defaultThreadCount
    ) {
        precondition(users.columns == items.columns, "user and item factors differ in rank")
        precondition(candidates == nil || candidates!.count == items.rows, "one candidate flag per item")
        precondition(ordered == nil || ordered!.count == items.rows, "the ordered items are another matrix")
        self.users = users
        self.items = items
        self.seen = seen
        self.candidates = candidates
        self.ordered = ordered
        self.threads = max(1, threads)
    }

    /// Computes the `count` best items for each of `userList` (all users when nil) and hands
    /// them to `emit` in the order of the list. `emit` may throw to stop early.
    package func recommend(count: Int, userList: [Int]? = nil, emit: (Int, [ScoredItem]) throws -> Void) throws {
        BLAS.ensureSingleThreaded()
        let total = userList?.count ?? users.rows
        var waveStart = 0
        while waveStart < total {
            let waveCount = min(BatchRecommender.waveSize, total - waveStart)
            var results = [[ScoredItem]](repeating: [], count: waveCount)
            results.withUnsafeMutableBufferPointer { results in
                Parallel.forEachChunk(count: waveCount, chunkSize: BatchRecommender.userBlock, threads: threads) { chunk, _ in
                    let lists = scoreBlock(chunk.map { userList?[waveStart + $0] ?? (waveStart + $0) }, count: count)
                    for (offset, list) in zip(chunk, lists) { results[offset] = list }
                }
            }
            for offset in 0..<waveCount { try emit(userList?[waveStart + offset] ?? (waveStart + offset), results[offset]) }
            waveStart += waveCount
        }
    }

    /// Top-k for one block of users.
    private func scoreBlock(_ block: [Int], count: Int) -> [[ScoredItem]] {
        if let ordered { return scoreBlockLongestFirst(block, count: count, ordered: ordered) }
        let k = users.columns, m = block.count
        let packedUsers = DenseMatrix(rows: m, columns: k)
        for (row, user) in block.enumerated() { packedUsers.row(row).update(from: users.row(user), count: k) }
        return ScratchBuffers.shared.withBuffer(count: m * BatchRecommender.itemBlock) { scores in
            scoreBlock(block, count: count, packedUsers: packedUsers, scores: scores.baseAddress!)
        }
    }

    /// `scoreBlock`'s work, with the block's users packed and room for their scores of one item block.
    private func scoreBlock(_ block: [Int], count: Int, packedUsers: DenseMatrix, scores: UnsafeMutablePointer<Float>) -> [[ScoredItem]] {
        let k = users.columns, m = block.count
        var selectors = [TopK](repeating: TopK(k: count), count: m)
        // Each user's seen items are sorted, so one cursor per user walks them across item blocks.
        var seenCursor = [Int](repeating: 0, count: m)
        if let seen { for (row, user) in block.enumerated() where user < seen.rowCount { seenCursor[row] = seen.offsets[user] } }
        var itemStart = 0
        while itemStart < items.rows {
            let n = min(BatchRecommender.itemBlock, items.rows - itemStart)
            // Not SGEMM: its order of summing depends on the block's shape, and a user's scores
            // must be the same bits in any batch as alone (`FactorModel.scoreItems`).
            VectorKernels.scores(packedUsers.storage, m: m, lda: packedUsers.stride, items.row(itemStart), n: n, ldb: items.stride, k: k, into: scores, ldc: n)
            for (row, user) in block.enumerated() {
                let rowScores = scores + row * n
                if let seen, user < seen.rowCount {
                    let end = seen.offsets[user + 1]
                    while seenCursor[row] < end {
                        let item = Int(seen.indices[seenCursor[row]])
                        if item >= itemStart + n { break }
                        rowScores[item - itemStart] = -.infinity
                        seenCursor[row] += 1
                    }
                }
                var threshold = selectors[row].threshold
                if let candidates { for j in 0..<n where !candidates[itemStart + j] { rowScores[j] = -.infinity } }
                // Items arrive in increasing index, so an equal score never displaces a kept one.
                for j in 0..<n where rowScores[j] > threshold {
                    selectors[row].offer(index: itemStart + j, score: rowScores[j])
                    threshold = selectors[row].threshold
                }
            }
            itemStart += n
        }
        return selectors.map { $0.sorted() }
    }

    /// Top-k for one block of users, items taken longest first in blocks; after each block, a
    /// user whose k-th best score beats ‖x‖ times the next item's length is finished, and the
    /// GEMM goes on with the users still open.
    private func scoreBlockLongestFirst(_ block: [Int], count: Int, ordered: NormOrderedItems) -> [[ScoredItem]] {
        let pool = ScratchBuffers.shared, gatheredCount = ordered.head.rows < items.rows ? BatchRecommender.itemBlock * ordered.items.stride : 1
        return pool.withBuffer(count: block.count * BatchRecommender.itemBlock) { scores in
            // Where blocks past the copied head are gathered (`NormOrderedItems.rows`).
            pool.withBuffer(count: gatheredCount) { gathered in
                scoreBlockLongestFirst(block, count: count, ordered: ordered, scores: scores.baseAddress!, gathered: gathered.baseAddress!)
            }
        }
    }

    /// `scoreBlockLongestFirst`'s work, with room for the block's scores of one item block and
    /// for one item block gathered past the head.
    private func scoreBlockLongestFirst(
        _ block: [Int], count: Int, ordered: NormOrderedItems, scores: UnsafeMutablePointer<Float>, gathered: UnsafeMutablePointer<Float>
    ) -> [[ScoredItem]] {
        let k = users.columns, m = block.count, itemCount = items.rows
        var selectors = [TopK](repeating: TopK(k: count), count: m)
        let userNorms = block.map { VectorKernels.dot(users.row($0), users.row($0), k).squareRoot() }
        // Each user's seen items by position in the longest-first order, so a cursor walks them.
        let seenPositions: [[Int]] = block.map { user in
            guard let seen, user < seen.rowCount else { return [] }
            return seen.indices[seen.range(ofRow: user)].map { Int(ordered.position[Int($0)]) }.sorted()
        }
        var seenCursor = [Int](repeating: 0, count: m)
        let packedUsers = DenseMatrix(rows: m, columns: k)
        var open = Array(0..<m)
        var start = 0
        while start < itemCount && !open.isEmpty {
            let n = min(BatchRecommender.itemBlock, itemCount - start)
            for (slot, row) in open.enumerated() { packedUsers.row(slot).update(from: users.row(block[row]), count: k) }
            let itemVectors = ordered.rows(start, n, scratch: gathered)
            VectorKernels.scores(packedUsers.storage, m: open.count, lda: packedUsers.stride, itemVectors.vectors, n: n,
                                 ldb: itemVectors.stride, k: k, into: scores, ldc: n)
            for (slot, row) in open.enumerated() {
                let rowScores = scores + slot * n
                let positions = seenPositions[row]
                while seenCursor[row] < positions.count && positions[seenCursor[row]] < start + n {
                    rowScores[positions[seenCursor[row]] - start] = -.infinity
                    seenCursor[row] += 1
                }
                if let candidates { for j in 0..<n where !candidates[ordered.item(at: start + j)] { rowScores[j] = -.infinity } }
                // Items do not arrive in index order here: an equal score is offered too, and the
                // selector keeps the lower index, as a scan in index order would.
                var threshold = selectors[row].threshold
                for j in 0..<n where rowScores[j] >= threshold && rowScores[j] > -.infinity {
                    selectors[row].offer(index: ordered.item(at: start + j), score: rowScores[j])
                    threshold = selectors[row].threshold
                }
            }
            start += n
            if start < itemCount {
                // The margin covers SGEMM's rounding: a computed score may exceed ‖x‖‖y‖ by a few ulps.
                let longest = ordered.norms[start]
                open.removeAll { row in
                    let threshold = selectors[row].threshold
                    return threshold > -.infinity && threshold > userNorms[row] * longest * 1.0001
                }
            }
        }
        return selectors.map { $0.sorted() }
    }
}
