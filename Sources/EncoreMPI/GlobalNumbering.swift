import Encore

/// Numbers the distinct string IDs that the processes found in their slices job-wide, in order of
/// first appearance in the file — the order a single-process read gives them. Each ID goes to an
/// owner process chosen by a hash of its bytes; the owner keeps the earliest place it was seen
/// (slice rank, then position in the slice); those places, sorted over all owners, give the
/// numbers. Only 8 bytes per distinct ID go to every process; the strings themselves go once to
/// their owner and once to rank 0, which writes the model file.
struct GlobalNumbering {
    /// The job-wide number of each of this process's local IDs, by local index.
    let globalIndex: [UInt32]
    /// Number of distinct IDs in the whole job.
    let count: Int
    /// Every ID by job-wide number (rank 0 only).
    let rootIDs: [String]?

    /// Collective: every process calls it with the IDs of its slice in local first-appearance order.
    init(localIDs: [String], communicator: Communicator) throws {
        let size = communicator.size
        var outBytes = [[UInt8]](repeating: [], count: size)
        var outLengths = [[Int64]](repeating: [], count: size)
        var outPlaces = [[Int64]](repeating: [], count: size)
        var sentLocal = [[Int]](repeating: [], count: size)
        for (local, id) in localIDs.enumerated() {
            let utf8 = Array(id.utf8)
            let owner = Int(GlobalNumbering.hash(utf8) % UInt64(size))
            outBytes[owner].append(contentsOf: utf8)
            outLengths[owner].append(Int64(utf8.count))
            outPlaces[owner].append(Int64(communicator.rank) << 40 | Int64(local))
            sentLocal[owner].append(local)
        }
        let received = StringPacking.unpack(bytes: try communicator.exchange(outBytes).values, lengths: try communicator.exchange(outLengths).values)
        let (receivedPlaces, receivedCounts) = try communicator.exchange(outPlaces)

        // Owner: the earliest place of each distinct ID it received.
        var slotOf: [String: Int] = [:]
        var ownedIDs: [String] = [], ownedPlaces: [Int64] = []
        var slotOfReceived: [Int] = []
        slotOfReceived.reserveCapacity(received.count)
        for (id, place) in zip(received, receivedPlaces) {
            if let slot = slotOf[id] {
                ownedPlaces[slot] = min(ownedPlaces[slot], place)
                slotOfReceived.append(slot)
            } else {
                slotOf[id] = ownedIDs.count
                slotOfReceived.append(ownedIDs.count)
                ownedIDs.append(id)
                ownedPlaces.append(place)
            }
        }
        let sortedPlaces = try communicator.allGather(ownedPlaces).sorted()
        count = sortedPlaces.count
        let ownedNumbers = ownedPlaces.map { UInt32(GlobalNumbering.position(of: $0, in: sortedPlaces)) }

        // Reply to each sender with the numbers of the IDs it sent, in the order it sent them.
        var replies = [[UInt32]](repeating: [], count: size)
        var cursor = 0
        for (source, received) in receivedCounts.enumerated() {
            replies[source] = slotOfReceived[cursor..<(cursor + received)].map { ownedNumbers[$0] }
            cursor += received
        }
        let (answers, answerCounts) = try communicator.exchange(replies)
        var globalIndex = [UInt32](repeating: 0, count: localIDs.count)
        cursor = 0
        for owner in 0..<size {
            for (offset, local) in sentLocal[owner].enumerated() { globalIndex[local] = answers[cursor + offset] }
            cursor += answerCounts[owner]
        }
        self.globalIndex = globalIndex

        // Rank 0 collects the strings to write them into the model file.
        let numbers = communicator.gatherToRoot(ownedNumbers)
        let strings = try DistributedReader.gatherStrings(ownedIDs, communicator)
        if let numbers, let strings {
            var ids = [String](repeating: "", count: count)
            for (number, id) in zip(numbers.joined(), strings) { ids[Int(number)] = id }
            rootIDs = ids
        } else {
            rootIDs = nil
        }
    }

    /// FNV-1a over the bytes: the same on every process (Swift's own hash is seeded per process).
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        return value
    }

    /// The index of `place` in the sorted array `places`, which holds it.
    static func position(of place: Int64, in places: [Int64]) -> Int {
        var low = 0, high = places.count
        while low < high {
            let mid = (low + high) / 2
            if places[mid] < place { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
