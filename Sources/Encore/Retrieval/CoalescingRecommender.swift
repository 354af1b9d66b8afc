import Foundation

/// Answers single-user top-N requests arriving on many threads by scoring them together: up to
/// `maxBatch` waiting users go through one blocked pass over the items (`BatchRecommender`), so
/// the item vectors they reach are read once for all of them. A user alone takes the same path:
/// longest vectors first with early stopping (`NormOrderedItems`), most users stop within a block
/// or two, where scoring every item streamed 75 MB (292K items at k = 64) per request — at 1–2
/// connections 8–14× the requests a second (docs/serving.md, run 7).
/// Similar-item requests are batched the same way (`SimilarItems.similar(to:count:in:...)` for
/// many items: the cosines of all of them in one pass). Results are exactly those of
/// `TopNRecommendation.recommend` and of `SimilarItems.similar` for the one query; only the work
/// is shared.
package final class CoalescingRecommender: Sendable {
    /// Most users scored in one pass; bounds the latency a request can wait behind others.
    package let maxBatch: Int
    /// What the callers and the scoring threads share. The threads hold it, not this handle, so
    /// dropping the handle stops them (deinit) instead of leaving them with a freed object.
    private let queue: JobQueue

    /// Starts `workers` scoring threads (one per core is right: each runs single-threaded BLAS).
    package init(workers: Int = Parallel.defaultThreadCount, maxBatch: Int = 16) {
        self.maxBatch = max(1, maxBatch)
        queue = JobQueue(workers: max(1, workers), maxBatch: self.maxBatch)
        for index in 0..<max(1, workers) {
            let queue = self.queue
            let thread = Thread { queue.work() }
            thread.name = "encore-scoring-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Lets the scoring threads finish what is waiting and end.
    deinit { queue.stop() }

    /// The `count` best items for `user` of `model`, best first, leaving out the user's training
    /// items when `excludeSeen`. Blocks until a worker has scored it.
    package func recommend(model: TrainedModel, user: Int, count: Int, excludeSeen: Bool) -> [ScoredItem] {
        answer(Job(model: model, query: .user(user, excludeSeen: excludeSeen), count: count))
    }

    /// The `count` items of `model` most similar to `item`, best first, as
    /// `SimilarItems.similar(to:count:in:minimumListeners:)` gives them: waiting similar-item
    /// requests share one pass over the item vectors. Blocks until a worker has scored it.
    package func similar(model: TrainedModel, item: Int, count: Int, minimumListeners: Int) -> [ScoredItem] {
        answer(Job(model: model, query: .similar(item, minimumListeners: minimumListeners), count: count))
    }

    private func answer(_ job: Job) -> [ScoredItem] {
        queue.add(job)
        job.done.wait()
        return job.result
    }
}

/// One waiting request.
private final class Job {
    /// What is asked: a user's recommendations or an item's neighbours.
    enum Query {
        case user(Int, excludeSeen: Bool)
        case similar(Int, minimumListeners: Int)
    }

    let model: TrainedModel
    let query: Query
    let count: Int
    var result: [ScoredItem] = []
    let done = DispatchSemaphore(value: 0)

    init(model: TrainedModel, query: Query, count: Int) {
        self.model = model
        self.query = query
        self.count = count
    }

    /// Whether `other` can be scored in this job's pass: the same model, the same kind of
    /// question with the same exclusions.
    func sharesPass(with other: Job) -> Bool {
        guard model === other.model else { return false }
        switch (query, other.query) {
        case let (.user(_, excludeSeen), .user(_, otherExcludeSeen)): return excludeSeen == otherExcludeSeen
        case let (.similar(_, minimum), .similar(_, otherMinimum)): return minimum == otherMinimum
        default: return false
        }
    }
}

/// The waiting requests and the loop the scoring threads run over them.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [Job] = []
    private var stopped = false
    private let workerCount: Int
    private let maxBatch: Int

    init(workers: Int, maxBatch: Int) {
        workerCount = workers
        self.maxBatch = maxBatch
    }

    func add(_ job: Job) {
        condition.lock()
        pending.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Wakes every thread; each ends once nothing is waiting.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    func work() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopped { condition.wait() }
            if pending.isEmpty {
                condition.unlock()
                return
            }
            // Take the oldest job and waiting jobs that can share its pass (`sharesPass`),
            // oldest first: an equal share of what is waiting per worker, so that at
            // low load every worker scores one user (no one waits for a batch), up to maxBatch.
            let first = pending[0]
            let share = min(maxBatch, (pending.count + workerCount - 1) / workerCount)
            var batch: [Job] = []
            var rest: [Job] = []
            for job in pending {
                if batch.count < share && job.sharesPass(with: first) { batch.append(job) } else { rest.append(job) }
            }
            pending = rest
            condition.unlock()
            JobQueue.score(batch)
            for job in batch { job.done.signal() }
        }
    }

    /// Scores one batch (jobs that share a pass), leaving each job's list in it.
    /// A function of its own, not the body of `work`'s endless loop: written inline there, the
    /// release build (Swift 6.3.1) never freed the lists handed to the jobs — one 10-entry list,
    /// ~200 B, per coalesced request (heaptrack), so `encore serve` grew 46 → 339 MB in the
    /// 10-minute soak; debug builds did not leak. Here, with a return after each batch, the soak
    /// holds flat (docs/reliability.md, "The server under faults").
    static func score(_ batch: [Job]) {
        let model = batch[0].model, widest = batch.map(\.count).max()!
        switch batch[0].query {
        case let .user(_, excludeSeen):
            let scorer = BatchRecommender(users: model.factors.userFactors, items: model.factors.itemFactors,
                                          seen: excludeSeen ? model.interactions : nil, ordered: model.normOrderedItems, threads: 1)
            let users = batch.map { job in if case let .user(user, _) = job.query { user } else { preconditionFailure("a batch mixes questions") } }
            var position = 0
            try? scorer.recommend(count: widest, userList: users) { _, list in
                let job = batch[position]
                job.result = Array(list.prefix(job.count))
                position += 1
            }
        case let .similar(_, minimumListeners):
            let items = batch.map { job in if case let .similar(item, _) = job.query { item } else { preconditionFailure("a batch mixes questions") } }
            // The first `count` of a longer list are the shorter list (one order, ties by index).
            for (job, list) in zip(batch, SimilarItems.similar(to: items, count: widest, in: model, minimumListeners: minimumListeners)) {
                job.result = Array(list.prefix(job.count))
            }
        }
    }
}
