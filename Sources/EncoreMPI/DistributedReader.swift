import Encore
import Foundation

/// A failure that another process reported: this process stops too, quietly, because the
/// process that failed has already said why.
package struct FailedElsewhere: Error, CustomStringConvertible {
    /// The rank whose failure stopped the job.
    package let rank: Int
    package var description: String { "process \(rank) failed" }
}

/// Reads a ratings file with every process of the job at once: each process parses its own byte
/// range (cut at line breaks), string IDs are numbered job-wide in order of first appearance —
/// the numbering a single process gives them, so both start from the same random vectors — and
/// each observation is shipped to the process that owns its user and to the one that owns its
/// item.
package enum DistributedReader {
    /// Reads `path` as `format` (nil = detect from the file name) with `options`. Every process
    /// calls this together; a bad row is reported by the process that read it, naming file and
    /// line as a single-process read would, and every other process throws `FailedElsewhere`.
    package static func read(
        path: String, format: DatasetFormat?, options: DelimitedReadOptions, communicator: Communicator
    ) throws -> DistributedRatings {
        let format = format ?? DatasetFormat.detect(path: path)
        // Every process opens the file and settles the layout from its first line the same way;
        // a failure here (no such file, a bad header) is reported once, by process 0.
        var opened: (file: SliceReader, layout: DelimitedReadOptions)?
        var openFailure: Error?
        do {
            let file = try SliceReader(path: path)
            do {
                guard file.size > 0 else { throw EncoreError.emptyInput(file: path) }
                let prefix = try file.bytes(0..<min(file.size, 1 << 20))
                let layout = try prefix.withUnsafeBufferPointer {
                    try DelimitedReader.resolvedLayout($0, fileName: path, options: format.readOptions(custom: options))
                }
                opened = (file, layout)
            } catch {
                file.close()
                throw error
            }
        } catch {
            openFailure = error
        }
        try communicator.stopIfAnyFailed(openFailure)
        let (file, layout) = opened!
        defer { file.close() }

        let rank = communicator.rank, size = communicator.size
        let start = try file.lineStart(atOrAfter: rank * file.size / size)
        let end = try file.lineStart(atOrAfter: (rank + 1) * file.size / size)
        let slice = try file.bytes(start..<end)
        let lineBreaks = slice.withUnsafeBufferPointer(DelimitedReader.countLineBreaks)
        let firstLine = 1 + communicator.allGather(lineBreaks)[..<rank].reduce(0, +)

        var sliceLayout = layout
        if rank > 0 { sliceLayout.header = .absent }
        var local: Interactions?
        var report = ReadReport()
        var failure: Error?
        do {
            (local, report) = try slice.withUnsafeBufferPointer {
                try DelimitedReader.parseInOnePass($0, fileName: path, options: sliceLayout, firstLine: firstLine)
            }
        } catch EncoreError.emptyInput {
            local = nil
            report = ReadReport()
        } catch {
            failure = error
        }
        try communicator.stopIfAnyFailed(failure)

        let rowsRead = communicator.sum(report.rowsRead)
        let rowsSkipped = communicator.sum(report.rowsSkipped)
        guard rowsRead > 0 else { throw EncoreError.emptyInput(file: path) }
        let examples = try gatherStrings(report.skipExamples, communicator).map { Array($0.prefix(5)) } ?? []
        let idsTrimmed = communicator.sum(report.idsTrimmed)
        let trimExamples = try gatherStrings(report.trimExamples, communicator).map { Array($0.prefix(5)) } ?? []

        let userNumbers = try GlobalNumbering(localIDs: local?.userIDs.ids ?? [], communicator: communicator)
        let itemNumbers = try GlobalNumbering(localIDs: local?.itemIDs.ids ?? [], communicator: communicator)
        let users = BlockPartition(count: userNumbers.count, parts: size)
        let items = BlockPartition(count: itemNumbers.count, parts: size)
        let globalUsers = local?.users.map { userNumbers.globalIndex[Int($0)] } ?? []
        let globalItems = local?.items.map { itemNumbers.globalIndex[Int($0)] } ?? []
        let weights = local?.weights ?? []
        local = nil

        let userRatings = try shuffle(rows: globalUsers, columns: globalItems, weights: weights, rowBlocks: users, columnCount: items.count, communicator)
        let itemRatings = try shuffle(rows: globalItems, columns: globalUsers, weights: weights, rowBlocks: items, columnCount: users.count, communicator)
        let itemIDs = itemNumbers.rootIDs
        return DistributedRatings(
            users: users, items: items, userRatings: userRatings, itemRatings: itemRatings,
            rowsRead: rowsRead, rowsSkipped: rowsSkipped, skipExamples: examples, idsTrimmed: idsTrimmed, trimExamples: trimExamples,
            interactionCount: communicator.sum(userRatings.nonZeroCount),
            userIDs: userNumbers.rootIDs, itemIDs: itemIDs,
            itemNames: try itemIDs.flatMap { try DatasetLoader.itemNames(path: path, format: format, itemIDs: $0, keepIDWhitespace: options.keepIDWhitespace) }
        )
    }

    /// Sends each observation to the owner of its row and builds the owner's CSR (rows local to
    /// its block). Observations arrive in rank order, each rank's in file order, so duplicates
    /// are summed in the same order as a single-process read sums them.
    private static func shuffle(
        rows: [UInt32], columns: [UInt32], weights: [Float], rowBlocks: BlockPartition, columnCount: Int,
        _ communicator: Communicator
    ) throws -> SparseMatrix {
        var outRows = [[UInt32]](repeating: [], count: communicator.size)
        var outColumns = outRows
        var outWeights = [[Float]](repeating: [], count: communicator.size)
        for p in rows.indices {
            let owner = rowBlocks.owner(of: Int(rows[p]))
            outRows[owner].append(rows[p])
            outColumns[owner].append(columns[p])
            outWeights[owner].append(weights[p])
        }
        let mine = rowBlocks.block(communicator.rank)
        let offset = UInt32(mine.lowerBound)
        let localRows = try communicator.exchange(outRows).values.map { $0 - offset }
        outRows = []
        let localColumns = try communicator.exchange(outColumns).values
        outColumns = []
        let localWeights = try communicator.exchange(outWeights).values
        return SparseMatrix(rowCount: mine.count, columnCount: columnCount, rows: localRows, columns: localColumns, values: localWeights)
    }

    /// Rank 0 gets every process's strings, in rank order; the others get nil.
    static func gatherStrings(_ strings: [String], _ communicator: Communicator) throws -> [String]? {
        let lengths = strings.map { Int64($0.utf8.count) }
        let bytes = strings.flatMap { Array($0.utf8) }
        // Both gathers on every process: a combined `guard let` would skip the second elsewhere.
        let gatheredLengths = communicator.gatherToRoot(lengths)
        let gatheredBytes = communicator.gatherToRoot(bytes)
        guard let allLengths = gatheredLengths, let allBytes = gatheredBytes else { return nil }
        return zip(allLengths, allBytes).flatMap { lengths, bytes in StringPacking.unpack(bytes: bytes, lengths: lengths) }
    }
}

/// Byte-range access to one file, for reading a slice of it.
struct SliceReader {
    let path: String
    let descriptor: Int32
    let size: Int

    init(path: String) throws {
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw EncoreError.io(path: path, reason: String(cString: strerror(errno))) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw EncoreError.io(path: path, reason: String(cString: strerror(errno))) }
        self.path = path
        size = Int(status.st_size)
    }

    func close() { _ = Glibc.close(descriptor) }

    /// The bytes in `range`.
    func bytes(_ range: Range<Int>) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: range.count)
        var done = 0
        while done < range.count {
            let got = result.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, range.count - done, off_t(range.lowerBound + done)) }
            guard got > 0 else { throw EncoreError.io(path: path, reason: got == 0 ? "the file ended early" : String(cString: strerror(errno))) }
            done += got
        }
        return result
    }

    /// The start of the first line that begins at or after `offset`: 0 for 0, the end of the file
    /// past the last line break. Neighbouring slices agree on it, so every line is read once.
    func lineStart(atOrAfter offset: Int) throws -> Int {
        guard offset > 0 else { return 0 }
        var position = offset - 1
        while position < size {
            let chunk = try bytes(position..<min(size, position + 65536))
            if let found = chunk.firstIndex(of: UInt8(ascii: "\n")) { return position + found + 1 }
            position += chunk.count
        }
        return size
    }
}

/// Strings packed as one byte array with their lengths, for sending.
enum StringPacking {
    /// Splits `bytes` into strings of the given lengths.
    static func unpack(bytes: [UInt8], lengths: [Int64]) -> [String] {
        var strings: [String] = []
        strings.reserveCapacity(lengths.count)
        var start = 0
        for length in lengths {
            strings.append(String(decoding: bytes[start..<(start + Int(length))], as: UTF8.self))
            start += Int(length)
        }
        return strings
    }
}
