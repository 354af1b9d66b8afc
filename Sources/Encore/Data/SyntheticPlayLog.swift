import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The two ways out of the generator — a binary play log and text — made from the plays
/// generated listener by listener (`GeneratedPlays`, 8 bytes a play) and the order of the
/// shuffled rows (4 bytes a play), never from a list of row tuples: at a billion plays the
/// generator must hold no more than training will.
extension SyntheticPlays {
    /// The plays as a play log, IDs numbered in order of first appearance in the shuffled rows:
    /// exactly what reading the text `write(to:)` writes would give, byte for byte once saved,
    /// without the text. At most 16 bytes a play: the generated rows and the shuffled order
    /// (12), then the users × items matrix beside what it is made from (12), then it and its
    /// transpose (16).
    package func playLog(threads: Int = Parallel.defaultThreadCount) throws -> PlayLog {
        var plays = generated(threads: threads)
        let rows = plays.count
        let (userOrder, itemOrder, itemNumbers) = firstAppearances(of: plays)
        // Listeners in order of first appearance, each row's artists renumbered, then sorted.
        var offsets = [Int](repeating: 0, count: userOrder.count + 1)
        for (number, user) in userOrder.enumerated() {
            offsets[number + 1] = offsets[number] + plays.offsets[Int(user) + 1] - plays.offsets[Int(user)]
        }
        var columns = [UInt32](repeating: 0, count: rows)
        for (number, user) in userOrder.enumerated() {
            let from = plays.offsets[Int(user)], to = offsets[number]
            for q in 0..<(offsets[number + 1] - to) { columns[to + q] = itemNumbers[Int(plays.items[from + q])] }
        }
        plays.items = []
        var values = [Float](repeating: 0, count: rows)
        for (number, user) in userOrder.enumerated() {
            let from = plays.offsets[Int(user)], to = offsets[number]
            for q in 0..<(offsets[number + 1] - to) { values[to + q] = plays.plays[from + q] }
        }
        plays = GeneratedPlays(offsets: [], items: [], plays: [])
        // A listener's artists are distinct, so sorting sums nothing away.
        let kept = PlayMatrixBuilder.sortAndSumRows(offsets: offsets, columns: &columns, values: &values, threads: threads)
        precondition(kept.reduce(0, +) == rows, "a listener drew an artist twice")
        let userItems = SparseMatrix(uncheckedRowCount: userOrder.count, columnCount: itemOrder.count, offsets: offsets,
                                     indices: consume columns, values: consume values)
        let itemUsers = userItems.transposed()
        return PlayLog(userIDs: try IDIndex(ids: userOrder.map { userID($0) }), itemIDs: try IDIndex(ids: itemOrder.map { itemID($0) }),
                       itemNames: nil, userItems: userItems, itemUsers: itemUsers, sourceRows: rows)
    }

    /// Listeners and artists in order of first appearance in the shuffled rows (what a reader
    /// of the text numbers them by), and each artist's number in that order. Walks the rows in
    /// shuffled order until every listener and every played artist has been seen.
    private func firstAppearances(of plays: GeneratedPlays) -> (users: [UInt32], items: [UInt32], itemNumbers: [UInt32]) {
        var played = [Bool](repeating: false, count: items)
        for item in plays.items { played[Int(item)] = true }
        let distinctItems = played.reduce(0) { $0 + ($1 ? 1 : 0) }
        played = []
        var userSeen = [Bool](repeating: false, count: users), itemNumbers = [UInt32](repeating: .max, count: items)
        var userOrder: [UInt32] = [], itemOrder: [UInt32] = []
        userOrder.reserveCapacity(users)
        itemOrder.reserveCapacity(distinctItems)
        let order = shuffledOrder(count: plays.count)
        for row in order {
            let user = plays.user(ofRow: Int(row)), item = plays.items[Int(row)]
            if !userSeen[user] { userSeen[user] = true; userOrder.append(UInt32(user)) }
            if itemNumbers[Int(item)] == .max { itemNumbers[Int(item)] = UInt32(itemOrder.count); itemOrder.append(item) }
            if userOrder.count == users && itemOrder.count == distinctItems { break }
        }
        return (userOrder, itemOrder, itemNumbers)
    }

    /// Writes the rows as `user<TAB>artist<TAB>plays` lines to `path` atomically, or to standard
    /// output when `path` is "-" (for a pipe into `encore import -`). Returns the rows written.
    package func write(to path: String, threads: Int = Parallel.defaultThreadCount) throws -> Int {
        guard path != "-" else {
            return try writeText(threads: threads) { bytes in try StandardOutput.write(bytes) }
        }
        var writer = try AtomicFileWriter(path: path)
        do {
            let rows = try writeText(threads: threads) { bytes in try writer.write(bytes) }
            try writer.commit()
            return rows
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// The lines, in shuffled order, handed to `emit` a few megabytes at a time. The shuffled
    /// order's pages are handed back to the kernel as they are written: the generator then
    /// holds 12 bytes a play at the start and 8 at the end, while a reader at the other end of
    /// a pipe grows to hold what it has read.
    private func writeText(threads: Int, emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let plays = generated(threads: threads)
        // Every listener ID is 40 bytes; artist names are kept end to end with their offsets.
        let userIDs = (0..<users).reduce(into: [UInt8]()) { $0.append(contentsOf: userID(UInt32($1)).utf8) }
        var itemIDs: [UInt8] = [], itemStarts = [0]
        for item in 0..<items {
            itemIDs.append(contentsOf: itemID(UInt32(item)).utf8)
            itemStarts.append(itemIDs.count)
        }
        precondition(userIDs.count == 40 * users, "listener IDs are 40 hex digits")
        var order = shuffledOrder(count: plays.count)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 22)
        var digits = [UInt8](repeating: 0, count: 20)
        var released = 0
        for p in 0..<order.count {
            let row = Int(order[p]), user = plays.user(ofRow: row), item = Int(plays.items[row])
            buffer.append(contentsOf: userIDs[(40 * user)..<(40 * user + 40)])
            buffer.append(9)
            buffer.append(contentsOf: itemIDs[itemStarts[item]..<itemStarts[item + 1]])
            buffer.append(9)
            var value = UInt32(plays.plays[row]), length = 0
            repeat { digits[length] = UInt8(48 + value % 10); value /= 10; length += 1 } while value > 0
            for index in stride(from: length - 1, through: 0, by: -1) { buffer.append(digits[index]) }
            buffer.append(10)
            if buffer.count > 1 << 22 - 256 {
                try buffer.withUnsafeBytes { try emit($0) }
                buffer.removeAll(keepingCapacity: true)
                released = MemoryRelease.dropWritten(&order, upTo: p + 1, from: released)
            }
        }
        try buffer.withUnsafeBytes { try emit($0) }
        return order.count
    }
}

/// Standard output written with `write(2)`, every byte, for a pipe: no buffering of its own and
/// no partial write left unfinished.
enum StandardOutput {
    static func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let written = Glibc.write(1, bytes.baseAddress! + done, bytes.count - done)
            if written < 0 {
                if errno == EINTR { continue }
                throw EncoreError.io(path: "standard output", reason: String(cString: strerror(errno)))
            }
            done += written
        }
    }
}

/// Handing pages of a large array back to the kernel once they are read for the last time.
enum MemoryRelease {
    /// Lets the kernel drop the whole pages of `array[from..<upTo]` (which are never read
    /// again: the kernel zeroes them if they are touched) and returns where the next call starts.
    static func dropWritten(_ array: inout [UInt32], upTo end: Int, from start: Int) -> Int {
        array.withUnsafeMutableBufferPointer { dropRead($0, upTo: end, from: start) }
    }

    /// `dropWritten` for memory the caller owns and reads no more (a consumed array's buffer).
    static func dropRead<Element>(_ buffer: UnsafeMutableBufferPointer<Element>, upTo end: Int, from start: Int) -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE))), size = MemoryLayout<Element>.stride
        guard let baseAddress = buffer.baseAddress else { return start }
        let base = Int(bitPattern: baseAddress)
        let first = (base + start * size + page - 1) / page * page, last = (base + end * size) / page * page
        guard last - first >= 1 << 20, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return start }
        _ = madvise(pointer, last - first, MADV_DONTNEED)
        return (last - base) / size
    }
}
