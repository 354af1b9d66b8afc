import Encore
import Foundation

/// What one distributed iteration reports to rank 0's progress callback.
package struct DistributedIterationReport: Sendable {
    /// 1-based iteration number.
    package var iteration: Int
    /// The full objective after this iteration, summed over every process.
    package var loss: Double
    /// Wall-clock seconds of the iteration, loss included.
    package var seconds: Double
    /// Bytes all processes sent to each other during the iteration.
    package var bytesSent: Int
}

/// The outcome of a distributed fit. Factors are gathered on rank 0 only.
package struct DistributedFit {
    /// Users × k on rank 0, nil elsewhere.
    package var userFactors: DenseMatrix?
    /// Items × k on rank 0, nil elsewhere.
    package var itemFactors: DenseMatrix?
    /// Objective after each iteration, including those done before a resume.
    package var lossHistory: [Double]
    /// Reports of the iterations this run did.
    package var iterations: [DistributedIterationReport]
    /// Bytes per iteration the strategy's formula predicts for the whole job: factor traffic
    /// plus the Gram-matrix and objective sums.
    package var predictedBytesPerIteration: Int
    /// Iterations already done by the checkpoint this run resumed from (0 if none).
    package var resumedFrom: Int
    /// Seconds spent building the strategy's routing before the first iteration.
    package var setupSeconds: Double
}

/// Implicit ALS over MPI: users and items are split into one contiguous block per process;
/// each process solves its own rows, getting the other side's vectors (or partial normal
/// equations) by the chosen `DistributionStrategy`, and `YᵀY` by an all-reduce. It solves the
/// same equations as `ImplicitALS`, from the same initial vectors, so with the same seed the
/// model equals the single-process one to solver tolerance.
package struct DistributedALS {
    /// The hyperparameters.
    package var configuration: ALSConfiguration
    /// How vectors reach the processes that need them.
    package var strategy: DistributionStrategy
    /// Threads per process.
    package var threads: Int
    /// The job's processes.
    package let communicator: Communicator

    /// A trainer for the job `communicator` belongs to.
    package init(configuration: ALSConfiguration, strategy: DistributionStrategy, threads: Int, communicator: Communicator) {
        self.configuration = configuration
        self.strategy = strategy
        self.threads = max(1, threads)
        self.communicator = communicator
    }

    /// Why distributed training cannot train `configuration`, or nil if it can: the weight α₀ on
    /// unobserved pairs and the subspace solver are single-process only so far (the summed
    /// systems of full gridify carry neither).
    package static func unsupported(_ configuration: ALSConfiguration) -> String? {
        if configuration.unobservedWeight != 0 {
            return "encore-mpi does not support --unobserved-weight (got \(configuration.unobservedWeight)); train with encore train, or leave it at 0"
        }
        if configuration.solver == .subspace {
            return "encore-mpi does not support --solver subspace; use cholesky or cg, or train with encore train"
        }
        return nil
    }

    /// Trains on `ratings`, every process together. With `checkpoint`, resumes from a saved
    /// checkpoint of the same job and saves a new one every `checkpoint.every` iterations.
    /// `failAfterIteration` makes the last process die abruptly after that iteration — a way to
    /// test that a lost process fails the job and that the job resumes.
    package func fit(
        _ ratings: DistributedRatings, checkpoint: CheckpointSettings? = nil, failAfterIteration: Int? = nil,
        progress: ((DistributedIterationReport) -> Void)? = nil
    ) throws -> DistributedFit {
        try configuration.validate()
        if let refusal = DistributedALS.unsupported(configuration) { throw EncoreError.invalidArgument(refusal) }
        BLAS.ensureSingleThreaded()
        let rank = communicator.rank, k = configuration.factors
        let setupStart = DispatchTime.now().uptimeNanoseconds
        let myUsers = ImplicitALS.initialFactors(rows: ratings.users.block(rank), k: k, seed: configuration.seed, side: .users,
                                                 scale: configuration.initialScale, threads: threads)
        let myItems = ImplicitALS.initialFactors(rows: ratings.items.block(rank), k: k, seed: configuration.seed, side: .items,
                                                 scale: configuration.initialScale, threads: threads)
        let trainer = ImplicitALS(configuration: configuration, threads: threads)
        let solveItems = try DistributedHalfStep(strategy: strategy, trainer: trainer, communicator: communicator, side: .items, ratings: ratings)
        let solveUsers = try DistributedHalfStep(strategy: strategy, trainer: trainer, communicator: communicator, side: .users, ratings: ratings)
        let reductions = communicator.size > 1 ? (2 * k * k + 2) * 8 : 0
        let predicted = communicator.sum(solveItems.predictedBytes + solveUsers.predictedBytes + reductions)
        let setupSeconds = Double(DispatchTime.now().uptimeNanoseconds - setupStart) / 1e9

        let resumed = try checkpoint.map { try resume(from: $0, ratings: ratings, users: myUsers, items: myItems) } ?? (iteration: 0, history: [])
        let resumedFrom = resumed.iteration
        var history = resumed.history

        var reports: [DistributedIterationReport] = []
        var iteration = resumedFrom
        while iteration < configuration.iterations {
            iteration += 1
            let start = DispatchTime.now().uptimeNanoseconds
            let bytesBefore = communicator.bytesSent
            _ = try solveItems.run(target: myItems, source: myUsers, withObjective: false)
            let userTerms = try solveUsers.run(target: myUsers, source: myItems, withObjective: true)
            var terms = [userTerms, trainer.penalty(of: myItems, ratings: ratings.itemRatings)]
            communicator.sum(&terms)
            let bytes = communicator.sum(communicator.bytesSent - bytesBefore)
            let report = DistributedIterationReport(
                iteration: iteration, loss: terms[0] + terms[1],
                seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, bytesSent: bytes
            )
            history.append(report.loss)
            reports.append(report)
            if rank == 0 { progress?(report) }
            if let checkpoint, iteration % checkpoint.every == 0 {
                let users = gather(myUsers), items = gather(myItems)
                if let users, let items {
                    try TrainingCheckpoint(fingerprint: checkpoint.fingerprint, iteration: iteration, lossHistory: history,
                                           userFactors: users, itemFactors: items, factors: k).write(to: checkpoint.directory)
                }
                communicator.barrier()
            }
            if let failAfterIteration, iteration == failAfterIteration, rank == communicator.size - 1 {
                // A process lost mid-job, as when its machine dies: no goodbye to the others.
                _exit(3)
            }
        }
        let users = gather(myUsers), items = gather(myItems)
        return DistributedFit(
            userFactors: users.map { DistributedHalfStep.unpack($0, rows: ratings.users.count, k: k) },
            itemFactors: items.map { DistributedHalfStep.unpack($0, rows: ratings.items.count, k: k) },
            lossHistory: history, iterations: reports, predictedBytesPerIteration: predicted,
            resumedFrom: resumedFrom, setupSeconds: setupSeconds
        )
    }

    /// Reads the job's checkpoint on rank 0, if there is one, and hands every process its
    /// iteration, loss history and its own rows of the saved factors (copied into `users` and
    /// `items`). Returns (0, []) when there is none to resume from.
    private func resume(
        from checkpoint: CheckpointSettings, ratings: DistributedRatings, users: DenseMatrix, items: DenseMatrix
    ) throws -> (iteration: Int, history: [Double]) {
        let rank = communicator.rank, k = configuration.factors
        var saved: TrainingCheckpoint?
        var failure: Error?
        if rank == 0 {
            do { saved = try TrainingCheckpoint.read(from: checkpoint.directory, expecting: checkpoint.fingerprint) } catch { failure = error }
            if let found = saved, found.factors != k || found.userFactors.count != ratings.users.count * k || found.itemFactors.count != ratings.items.count * k {
                failure = EncoreError.invalidArgument("the checkpoint in \(checkpoint.directory) has other shapes than this data set; delete it to start over")
            }
        }
        try communicator.stopIfAnyFailed(failure)
        let iteration = communicator.allGather(saved?.iteration ?? 0)[0]
        guard iteration > 0 else { return (0, []) }
        let history = communicator.broadcastFromRoot(saved?.lossHistory ?? [])
        restore(communicator.broadcastFromRoot(saved?.userFactors ?? []), into: users, rows: ratings.users.block(rank))
        restore(communicator.broadcastFromRoot(saved?.itemFactors ?? []), into: items, rows: ratings.items.block(rank))
        return (iteration, history)
    }

    /// Every process's rows of one side, packed in global order, on rank 0 (nil elsewhere).
    private func gather(_ mine: DenseMatrix) -> [Float]? {
        communicator.gatherToRoot(DistributedHalfStep.pack(mine, rows: 0..<mine.rows)).map { Array($0.joined()) }
    }

    /// Copies this process's `rows` out of the packed global factors.
    private func restore(_ packed: [Float], into mine: DenseMatrix, rows: Range<Int>) {
        let k = mine.columns
        packed.withUnsafeBufferPointer { buffer in
            for (local, global) in rows.enumerated() { mine.row(local).update(from: buffer.baseAddress! + global * k, count: k) }
        }
    }
}
