import CMPI
import Encore
import Foundation

/// The processes of one MPI job and the few collective operations distributed training needs.
/// Every byte this process hands to MPI for another process is counted, so a run can report
/// exactly how much it moved; what a process passes to itself is copied locally and not counted.
package final class Communicator {
    /// This process's rank, 0..<size.
    package let rank: Int
    /// Number of processes in the job.
    package let size: Int
    private let world: MPI_Comm
    /// Bytes this process has sent to other processes so far.
    package private(set) var bytesSent = 0

    /// Initialises MPI; call once, before anything else uses MPI.
    package init() {
        MPI_Init(nil, nil)
        world = encore_mpi_comm_world()
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// Shuts MPI down; the last MPI call of a successful run.
    package func finish() { MPI_Finalize() }

    /// Ends every process of the job at once with `code`: what a process does when it cannot
    /// go on, so that no other process waits forever in a collective.
    package func abort(code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }

    /// Waits until every process has arrived.
    package func barrier() { MPI_Barrier(world) }

    /// Collective: throws this process's `failure` if it is the first (lowest rank) to have one,
    /// `FailedElsewhere` if another process failed, and nothing if none did — so every process
    /// stops together and the failure is reported once.
    package func stopIfAnyFailed(_ failure: Error?) throws {
        let failed = allGather(failure == nil ? 0 : 1)
        guard let first = failed.firstIndex(of: 1) else { return }
        if first == rank, let failure { throw failure }
        throw FailedElsewhere(rank: first)
    }

    /// Element-wise sum over all processes, in place.
    package func sum(_ values: inout [Double]) {
        guard size > 1, !values.isEmpty else { return }
        let local = values
        bytesSent += local.count * 8
        local.withUnsafeBytes { send in
            values.withUnsafeMutableBytes { receive in
                _ = MPI_Allreduce(send.baseAddress, receive.baseAddress, Int32(local.count), encore_mpi_double(), encore_mpi_sum(), world)
            }
        }
    }

    /// The sum of one value over all processes.
    package func sum(_ value: Double) -> Double {
        var values = [value]
        sum(&values)
        return values[0]
    }

    /// The sum of one count over all processes.
    package func sum(_ value: Int) -> Int { Int(sum(Double(value))) }

    /// Element-wise maximum over all processes.
    package func maximum(_ values: [Int64]) -> [Int64] {
        guard size > 1 else { return values }
        var result = values
        bytesSent += values.count * 8
        values.withUnsafeBytes { send in
            result.withUnsafeMutableBytes { receive in
                _ = MPI_Allreduce(send.baseAddress, receive.baseAddress, Int32(values.count), encore_mpi_int64(), encore_mpi_max(), world)
            }
        }
        return result
    }

    /// Every process's `value`, by rank.
    package func allGather(_ value: Int) -> [Int] {
        var send = Int64(value)
        var receive = [Int64](repeating: 0, count: size)
        if size > 1 { bytesSent += 8 * (size - 1) }
        receive.withUnsafeMutableBytes { buffer in
            _ = MPI_Allgather(&send, 8, encore_mpi_byte(), buffer.baseAddress, 8, encore_mpi_byte(), world)
        }
        return receive.map { Int($0) }
    }

    /// Every process's `values`, concatenated in rank order.
    package func allGather<T: BitwiseCopyable>(_ values: [T]) throws -> [T] {
        let stride = MemoryLayout<T>.stride
        let counts = allGather(values.count)
        let total = counts.reduce(0, +)
        var result = [T](unsafeUninitializedCapacity: total) { _, initialized in initialized = total }
        try checkMessageSize(total * stride)
        let byteCounts = counts.map { Int32($0 * stride) }
        let displacements = exclusivePrefix(byteCounts)
        bytesSent += values.count * stride * (size - 1)
        values.withUnsafeBytes { send in
            result.withUnsafeMutableBytes { receive in
                _ = MPI_Allgatherv(send.baseAddress, Int32(values.count * stride), encore_mpi_byte(),
                                   receive.baseAddress, byteCounts, displacements, encore_mpi_byte(), world)
            }
        }
        return result
    }

    /// Rank 0 gets every process's `values`, by rank; the others get nil.
    package func gatherToRoot<T: BitwiseCopyable>(_ values: [T]) -> [[T]]? {
        let stride = MemoryLayout<T>.stride
        let counts = allGather(values.count)
        if rank != 0 { bytesSent += values.count * stride }
        guard size > 1 else { return [values] }
        let total = rank == 0 ? counts.reduce(0, +) : 0
        var flat = [T](unsafeUninitializedCapacity: total) { _, initialized in initialized = total }
        let byteCounts = counts.map { Int32($0 * stride) }
        let displacements = exclusivePrefix(byteCounts)
        values.withUnsafeBytes { send in
            flat.withUnsafeMutableBytes { receive in
                _ = MPI_Gatherv(send.baseAddress, Int32(values.count * stride), encore_mpi_byte(),
                                receive.baseAddress, byteCounts, displacements, encore_mpi_byte(), 0, world)
            }
        }
        guard rank == 0 else { return nil }
        var parts: [[T]] = []
        var start = 0
        for count in counts {
            parts.append(Array(flat[start..<(start + count)]))
            start += count
        }
        return parts
    }

    /// Sends `values` from rank 0 to every process; returns what rank 0 sent.
    package func broadcastFromRoot<T: BitwiseCopyable>(_ values: [T]) -> [T] {
        let stride = MemoryLayout<T>.stride
        let count = allGather(rank == 0 ? values.count : 0)[0]
        var result = rank == 0 ? values : [T](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        guard size > 1 else { return result }
        if rank == 0 { bytesSent += count * stride * (size - 1) }
        var offset = 0
        let total = count * stride
        // In pieces: MPI counts are 32-bit.
        while offset < total {
            let piece = min(1 << 30, total - offset)
            result.withUnsafeMutableBytes { buffer in
                _ = MPI_Bcast(buffer.baseAddress! + offset, Int32(piece), encore_mpi_byte(), 0, world)
            }
            offset += piece
        }
        return result
    }

    /// The personalised all-to-all exchange: `outgoing[d]` goes to process d; returns what each
    /// process sent to this one, concatenated in rank order, with each source's count.
    package func exchange<T: BitwiseCopyable>(_ outgoing: [[T]]) throws -> (values: [T], counts: [Int]) {
        precondition(outgoing.count == size, "one outgoing list per process")
        var sendCounts = outgoing.map { $0.count }
        sendCounts[rank] = 0
        let receiveCounts = exchangeCounts(sendCounts)
        var flat: [T] = []
        flat.reserveCapacity(sendCounts.reduce(0, +))
        for (destination, list) in outgoing.enumerated() where destination != rank { flat.append(contentsOf: list) }
        var counts = receiveCounts
        counts[rank] = outgoing[rank].count
        let total = counts.reduce(0, +)
        var result = [T](unsafeUninitializedCapacity: total) { _, initialized in initialized = total }
        try result.withUnsafeMutableBufferPointer { receive in
            try flat.withUnsafeBufferPointer { send in
                try exchange(send: send, sendCounts: sendCounts, into: receive, receiveCounts: counts, local: outgoing[rank])
            }
        }
        return (result, counts)
    }

    /// The all-to-all exchange on buffers the caller owns: `send` holds, in destination order,
    /// `sendCounts[d]` values for each other process d (none for this one); `receive` gets, in
    /// source order, `receiveCounts[s]` values from each process s, and this process's own
    /// part is `local`, copied in place. No allocation beyond MPI's own.
    package func exchange<T: BitwiseCopyable>(
        send: UnsafeBufferPointer<T>, sendCounts: [Int], into receive: UnsafeMutableBufferPointer<T>,
        receiveCounts: [Int], local: [T]
    ) throws {
        try local.withUnsafeBufferPointer { try exchange(send: send, sendCounts: sendCounts, into: receive, receiveCounts: receiveCounts, local: $0) }
    }

    /// As `exchange(send:sendCounts:into:receiveCounts:local:)`, with the local part as a buffer.
    package func exchange<T: BitwiseCopyable>(
        send: UnsafeBufferPointer<T>, sendCounts: [Int], into receive: UnsafeMutableBufferPointer<T>,
        receiveCounts: [Int], local: UnsafeBufferPointer<T>
    ) throws {
        let stride = MemoryLayout<T>.stride
        var mpiReceiveCounts = receiveCounts
        mpiReceiveCounts[rank] = 0
        let receiveDisplacementsAll = exclusivePrefix(receiveCounts)
        if local.count > 0 {
            (receive.baseAddress! + receiveDisplacementsAll[rank]).update(from: local.baseAddress!, count: local.count)
        }
        guard size > 1 else { return }
        try checkMessageSize(sendCounts.reduce(0, +) * stride)
        try checkMessageSize(receiveCounts.reduce(0, +) * stride)
        bytesSent += sendCounts.reduce(0, +) * stride
        let sendBytes = sendCounts.map { Int32($0 * stride) }
        let receiveBytes = mpiReceiveCounts.map { Int32($0 * stride) }
        let sendDisplacements = exclusivePrefix(sendBytes)
        let receiveDisplacements = receiveDisplacementsAll.map { Int32($0 * stride) }
        _ = MPI_Alltoallv(UnsafeRawPointer(send.baseAddress), sendBytes, sendDisplacements, encore_mpi_byte(),
                          UnsafeMutableRawPointer(receive.baseAddress), receiveBytes, receiveDisplacements, encore_mpi_byte(), world)
    }

    /// How many values each process will send to this one, given how many this one sends to each.
    package func exchangeCounts(_ sendCounts: [Int]) -> [Int] {
        guard size > 1 else { return [0] }
        let send = sendCounts.map { Int64($0) }
        var receive = [Int64](repeating: 0, count: size)
        bytesSent += 8 * (size - 1)
        receive.withUnsafeMutableBytes { buffer in
            _ = MPI_Alltoall(send, 8, encore_mpi_byte(), buffer.baseAddress, 8, encore_mpi_byte(), world)
        }
        return receive.map { Int($0) }
    }

    private func exclusivePrefix<N: BinaryInteger>(_ counts: [N]) -> [N] {
        var result: [N] = []
        result.reserveCapacity(counts.count)
        var running: N = 0
        for count in counts {
            result.append(running)
            running += count
        }
        return result
    }

    /// MPI counts bytes in 32 bits; a larger single exchange needs more processes.
    private func checkMessageSize(_ bytes: Int) throws {
        if bytes >= Int(Int32.max) {
            throw EncoreError.invalidArgument("one MPI message would hold \(bytes) bytes, more than MPI's 2 GiB limit; use more processes")
        }
    }
}
