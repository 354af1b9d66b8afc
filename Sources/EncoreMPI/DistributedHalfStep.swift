import Encore
import Foundation

/// One direction of a distributed iteration — solving this process's rows of the target side
/// (items, or users) against the source side's vectors, which are spread over every process —
/// with the routing its strategy needs, worked out once from the ratings before training.
final class DistributedHalfStep {
    private let strategy: DistributionStrategy
    /// The single-process trainer whose half-step (and configuration, and threads) this uses.
    private let trainer: ImplicitALS
    private var configuration: ALSConfiguration { trainer.configuration }
    private var threads: Int { trainer.threads }
    private let communicator: Communicator
    /// Which side this half-step solves (its vectors are the target's).
    private let side: FactorSide
    private let targetBlocks: BlockPartition
    private let sourceBlocks: BlockPartition
    /// This process's target rows × global source rows (half gridify: × the compact list of
    /// source rows it needs, in global order).
    private let targetRatings: SparseMatrix
    /// Half gridify: how many of the needed source rows each process owns.
    private var neededFrom: [Int] = []
    /// Half gridify: which of this process's source rows each process needs (local rows, sorted).
    private var wantedBy: [[Int]] = []
    /// Full gridify: per destination, the global target rows this process has partial sums for (sorted).
    private var partialRows: [[Int]] = []
    /// Full gridify: this process's ratings by target row (global target rows × local source rows).
    private var byTarget: SparseMatrix?
    /// Full gridify: per source process, which of this process's target rows (local, sorted) it sends partial sums for.
    private var partialsFrom: [[Int]] = []
    /// Full gridify: target rows per exchange round, bounding the buffers.
    private var roundRows = 0
    /// Broadcast and half gridify: `targetRatings` as the half-step reads it (its confidences
    /// computed once, coded when its weights allow: `TrainingRows`).
    private var rows: TrainingRows?
    /// Broadcast and half gridify: the row solvers, kept from one run of the half-step to the
    /// next (as the single process keeps them: their scratch space is grown once).
    private var solvers: RowSolverPool?
    private let k: Int
    /// Doubles in one shipped partial (see `NormalEquations.Record`).
    private var recordLength: Int { NormalEquations.Record.length(k: k) }

    /// The half-step that solves this process's rows of `side` from its share of `ratings`:
    /// the target side's ratings (its target rows × global source rows) and the source side's
    /// (its source rows × global target rows), which tell whom it sends to.
    init(strategy: DistributionStrategy, trainer: ImplicitALS, communicator: Communicator, side: FactorSide, ratings: DistributedRatings) throws {
        self.strategy = strategy
        self.trainer = trainer
        self.communicator = communicator
        self.side = side
        (targetBlocks, sourceBlocks) = side == .items ? (ratings.items, ratings.users) : (ratings.users, ratings.items)
        let (targetRatings, sourceRatings) = side == .items ? (ratings.itemRatings, ratings.userRatings) : (ratings.userRatings, ratings.itemRatings)
        k = trainer.configuration.factors
        let size = communicator.size
        switch strategy {
        case .broadcast:
            self.targetRatings = targetRatings
        case .halfGridify:
            // The source rows this process's ratings touch, in global order; columns renumbered to them.
            var seen = [Bool](repeating: false, count: sourceBlocks.count)
            for column in targetRatings.indices { seen[Int(column)] = true }
            var compact = [UInt32](repeating: 0, count: sourceBlocks.count)
            var needed = 0
            neededFrom = [Int](repeating: 0, count: size)
            for row in 0..<sourceBlocks.count where seen[row] {
                compact[row] = UInt32(needed)
                needed += 1
                neededFrom[sourceBlocks.owner(of: row)] += 1
            }
            self.targetRatings = try SparseMatrix(
                rowCount: targetRatings.rowCount, columnCount: needed, offsets: targetRatings.offsets,
                indices: targetRatings.indices.map { compact[Int($0)] }, values: targetRatings.values
            )
            // Which of this process's source rows each process's target rows touch.
            wantedBy = DistributedHalfStep.rowsByColumnBlock(sourceRatings, columnBlocks: targetBlocks)
        case .fullGridify:
            self.targetRatings = targetRatings
            let transposed = sourceRatings.transposed(threads: trainer.threads)
            partialRows = [[Int]](repeating: [], count: size)
            for row in 0..<transposed.rowCount where !transposed.range(ofRow: row).isEmpty {
                partialRows[targetBlocks.owner(of: row)].append(row)
            }
            byTarget = transposed
            partialsFrom = DistributedHalfStep.rowsByColumnBlock(targetRatings, columnBlocks: sourceBlocks)
            // About 64 MiB of partial sums in flight per process and round.
            let budget = (64 << 20) / 8
            roundRows = max(16, min(max(1, targetBlocks.largestBlock), budget / (recordLength * size)))
        }
        if strategy != .fullGridify {
            rows = trainer.trainingRows(self.targetRatings, owned: false)
            solvers = RowSolverPool(configuration: configuration, solving: rows!)
        }
    }

    /// Bytes of factor traffic one run of this half-step sends from this process to others, by
    /// the strategy's formula: broadcast, every own source vector to every other process; half
    /// gridify, each needed vector once to each process that needs it; full gridify, one
    /// partial record per (target row, other process holding ratings of it).
    var predictedBytes: Int {
        let rank = communicator.rank, size = communicator.size
        switch strategy {
        case .broadcast: return sourceBlocks.block(rank).count * k * 4 * (size - 1)
        case .halfGridify: return wantedBy.enumerated().reduce(0) { $0 + ($1.offset == rank ? 0 : $1.element.count) } * k * 4
        case .fullGridify: return partialRows.enumerated().reduce(0) { $0 + ($1.offset == rank ? 0 : $1.element.count) } * recordLength * 8
        }
    }

    /// Solves every target row of this process in place in `target` (its rows of the target
    /// side) from `source` (its rows of the source side). With `withObjective`, returns this
    /// process's share of the objective's data and user-penalty terms.
    func run(target: DenseMatrix, source: DenseMatrix, withObjective: Bool) throws -> Double {
        var gram = ImplicitALS.gram(of: source, threads: threads)
        communicator.sum(&gram)
        switch strategy {
        case .broadcast:
            return try solveAgainstGathered(target: target, source: try gatherEverywhere(source), gram: gram, withObjective: withObjective)
        case .halfGridify:
            return try solveAgainstGathered(target: target, source: try receiveNeeded(source), gram: gram, withObjective: withObjective)
        case .fullGridify:
            return try solveFromPartials(target: target, source: source, gram: gram, withObjective: withObjective)
        }
    }

    /// Broadcast and half gridify: the rows of `target` against the source vectors this process
    /// has gathered, by the single process's half-step. It cannot keep the target in the
    /// eigenbasis from one run to the next as the single process does: the vectors it solves
    /// are sent to other processes as the next half-step's source (and gathered to rank 0 as
    /// factors) in the plain basis, and the source it solves against is gathered afresh each
    /// time. So each run turns the solved target back out of the eigenbasis, in Double for the
    /// exact solve and in Float for CG (as precise as each solve), in place.
    private func solveAgainstGathered(target: DenseMatrix, source: DenseMatrix, gram: [Double], withObjective: Bool) throws -> Double {
        // Both are turned in place: `source` was gathered afresh for this run, and `target` is
        // turned back into itself below.
        let turnedSource = TurnedFactors(source)
        let turnedTarget = TurnedFactors(target)
        let objective = try trainer.halfStepKeepingEigenbasis(
            target: turnedTarget, source: turnedSource, rows: rows!, gram: gram, side: side,
            withObjective: withObjective, solvers: solvers)
        turnedTarget.factors(into: target, exact: configuration.solver == .cholesky, threads: threads)
        return objective
    }

    /// Broadcast: every process's source rows, in global order.
    private func gatherEverywhere(_ source: DenseMatrix) throws -> DenseMatrix {
        let packed = try communicator.allGather(DistributedHalfStep.pack(source, rows: 0..<source.rows))
        return DistributedHalfStep.unpack(packed, rows: sourceBlocks.count, k: k)
    }

    /// Half gridify: the source vectors this process's ratings touch, in global order.
    private func receiveNeeded(_ source: DenseMatrix) throws -> DenseMatrix {
        let rank = communicator.rank
        var send: [Float] = []
        send.reserveCapacity(wantedBy.enumerated().reduce(0) { $0 + ($1.offset == rank ? 0 : $1.element.count) } * k)
        var sendCounts = [Int](repeating: 0, count: communicator.size)
        for (destination, rows) in wantedBy.enumerated() where destination != rank {
            for row in rows { send.append(contentsOf: UnsafeBufferPointer(start: source.row(row), count: k)) }
            sendCounts[destination] = rows.count * k
        }
        var local: [Float] = []
        local.reserveCapacity(wantedBy[rank].count * k)
        for row in wantedBy[rank] { local.append(contentsOf: UnsafeBufferPointer(start: source.row(row), count: k)) }
        let total = neededFrom.reduce(0, +)
        var received = [Float](repeating: 0, count: total * k)
        try send.withUnsafeBufferPointer { sendBuffer in
            try received.withUnsafeMutableBufferPointer { receiveBuffer in
                try communicator.exchange(send: sendBuffer, sendCounts: sendCounts, into: receiveBuffer,
                                          receiveCounts: neededFrom.map { $0 * k }, local: local)
            }
        }
        return DistributedHalfStep.unpack(received, rows: total, k: k)
    }

    /// Full gridify: in rounds of target rows, every process computes the partial normal
    /// equations of the rows its ratings touch and ships them to the rows' owners, which sum
    /// them in process order and solve.
    private func solveFromPartials(target: DenseMatrix, source: DenseMatrix, gram: [Double], withObjective: Bool) throws -> Double {
        let size = communicator.size, rank = communicator.rank, m = recordLength
        let rounds = (targetBlocks.largestBlock + roundRows - 1) / roundRows
        var sendCursor = [Int](repeating: 0, count: size)
        var receiveCursor = [Int](repeating: 0, count: size)
        var objective = 0.0
        let accumulator = PartialNormalEquations(k: k, configuration: configuration)
        for round in 0..<rounds {
            let windowEnd = (round + 1) * roundRows
            // What goes out: partials for each destination's rows in this round's window.
            var outgoing: [(destination: Int, rows: ArraySlice<Int>)] = []
            var sendCounts = [Int](repeating: 0, count: size)
            for destination in 0..<size {
                let rows = partialRows[destination]
                let base = targetBlocks.start(destination)
                var end = sendCursor[destination]
                while end < rows.count && rows[end] - base < windowEnd { end += 1 }
                outgoing.append((destination, rows[sendCursor[destination]..<end]))
                sendCursor[destination] = end
                if destination != rank { sendCounts[destination] = (end - outgoing[destination].rows.startIndex) * m }
            }
            var send = [Double](repeating: 0, count: sendCounts.reduce(0, +))
            var local = [Double](repeating: 0, count: outgoing[rank].rows.count * m)
            var offset = 0
            for (destination, rows) in outgoing {
                let rowsArray = Array(rows)
                if destination == rank {
                    local.withUnsafeMutableBufferPointer { accumulator.compute(rows: rowsArray, byTarget: byTarget!, source: source, into: $0.baseAddress!, threads: threads) }
                } else {
                    send.withUnsafeMutableBufferPointer { accumulator.compute(rows: rowsArray, byTarget: byTarget!, source: source, into: $0.baseAddress! + offset, threads: threads) }
                    offset += rows.count * m
                }
            }
            // What comes in: partials for this process's rows in the window, from each process.
            var receiveCounts = [Int](repeating: 0, count: size)
            var incoming: [ArraySlice<Int>] = []
            for origin in 0..<size {
                let rows = partialsFrom[origin]
                var end = receiveCursor[origin]
                while end < rows.count && rows[end] < windowEnd { end += 1 }
                incoming.append(rows[receiveCursor[origin]..<end])
                receiveCursor[origin] = end
                receiveCounts[origin] = incoming[origin].count * m
            }
            var received = [Double](repeating: 0, count: receiveCounts.reduce(0, +))
            try send.withUnsafeBufferPointer { sendBuffer in
                try received.withUnsafeMutableBufferPointer { receiveBuffer in
                    try communicator.exchange(send: sendBuffer, sendCounts: sendCounts, into: receiveBuffer, receiveCounts: receiveCounts, local: local)
                }
            }
            let windowStart = round * roundRows
            let window = windowStart..<min(windowEnd, targetRatings.rowCount)
            objective += try accumulator.solve(
                window: window, incoming: incoming, received: received, gram: gram, ratings: targetRatings,
                target: target, withObjective: withObjective, threads: threads, side: side
            )
        }
        return objective
    }

    /// For each block of columns, the rows of `matrix` (sorted) with at least one entry in it:
    /// which rows a process must send to, or hear from, each other process.
    static func rowsByColumnBlock(_ matrix: SparseMatrix, columnBlocks: BlockPartition) -> [[Int]] {
        var rows = [[Int]](repeating: [], count: columnBlocks.parts)
        var lastAdded = [Int](repeating: -1, count: columnBlocks.parts)
        for row in 0..<matrix.rowCount {
            for p in matrix.range(ofRow: row) {
                let block = columnBlocks.owner(of: Int(matrix.indices[p]))
                if lastAdded[block] != row {
                    lastAdded[block] = row
                    rows[block].append(row)
                }
            }
        }
        return rows
    }

    /// `rows` of `matrix`, k values each, without padding.
    static func pack(_ matrix: DenseMatrix, rows: Range<Int>) -> [Float] {
        var packed: [Float] = []
        packed.reserveCapacity(rows.count * matrix.columns)
        for row in rows { packed.append(contentsOf: UnsafeBufferPointer(start: matrix.row(row), count: matrix.columns)) }
        return packed
    }

    /// A matrix of `rows` × `k` from packed values.
    static func unpack(_ packed: [Float], rows: Int, k: Int) -> DenseMatrix {
        let matrix = DenseMatrix(rows: rows, columns: k)
        packed.withUnsafeBufferPointer { buffer in
            for row in 0..<rows { matrix.row(row).update(from: buffer.baseAddress! + row * k, count: k) }
        }
        return matrix
    }
}
