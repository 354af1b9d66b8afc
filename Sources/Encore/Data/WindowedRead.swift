import Foundation

/// How far a read of a large file has got, told after each window.
package struct IngestProgress: Sendable {
    /// Bytes of the file parsed so far.
    package var bytesRead: Int
    /// The file's size.
    package var totalBytes: Int
    /// Rows kept so far.
    package var rowsRead: Int
}

/// One pass over a large mapped file in windows (`DelimitedReader.read`): each window is cut
/// into slices parsed at once, their rows appended to one growing set of arrays, and the
/// window's pages handed back to the kernel before the next, so that the file's text never
/// sits in memory beside the rows it became.
struct WindowedRead {
    let bytes: UnsafeBufferPointer<UInt8>
    let fileName: String
    let slices: Int
    let progress: ((IngestProgress) -> Void)?

    /// Bytes of text per thread in one window (tests make it small, to cross many windows).
    let bytesPerSlice: Int
    /// Whether `bytes` is a read-only mapping of a file whose pages may be handed back once
    /// parsed. Never for other memory: the kernel would zero those pages, not re-read them.
    let isMappedFile: Bool

    init(
        bytes: UnsafeBufferPointer<UInt8>, fileName: String, slices: Int, bytesPerSlice: Int = 32 << 20, isMappedFile: Bool = false,
        progress: ((IngestProgress) -> Void)?
    ) {
        self.bytes = bytes
        self.fileName = fileName
        self.slices = slices
        self.bytesPerSlice = bytesPerSlice
        self.isMappedFile = isMappedFile
        self.progress = progress
    }

    func run(options: DelimitedReadOptions) throws -> (Interactions, ReadReport) {
        let layout = try DelimitedReader.resolvedLayout(bytes, fileName: fileName, options: options)
        let base = bytes.baseAddress!
        if case let .exactly(separator) = layout.delimiter, separator == "," || separator == ";",
           memchr(base, Int32(UInt8(ascii: "\"")), bytes.count) != nil {
            // Quoted CSV fields may hold line breaks: no cut is safe, so one pass over it all.
            return try DelimitedReader.parseInOnePass(bytes, fileName: fileName, options: layout)
        }
        let headerEnd = layout.header == .present ? DelimitedReader.endOfFirstNonBlankLine(bytes) : 0
        let windowSize = bytesPerSlice * slices
        var rows = WindowRows(threads: slices)
        var start = 0, firstLine = 1
        while start < bytes.count {
            var end = DelimitedReader.lineStart(bytes, atOrAfter: min(bytes.count, start + windowSize))
            if start == 0 { end = max(end, headerEnd) }
            let window = UnsafeBufferPointer(rebasing: bytes[start..<end])
            var bounds = [0]
            for slice in 1..<slices {
                bounds.append(max(bounds.last!, start == 0 ? headerEnd : 0, DelimitedReader.lineStart(window, atOrAfter: slice * window.count / slices)))
            }
            bounds.append(window.count)
            firstLine += try rows.append(window, bounds: bounds, fileName: fileName, layout: layout, firstLine: firstLine,
                                         headerInFirst: start == 0, totalBytes: bytes.count)
            if isMappedFile { release(from: start, to: end) }
            start = end
            progress?(IngestProgress(bytesRead: end, totalBytes: bytes.count, rowsRead: rows.rowsRead))
        }
        return try rows.interactions(fileName: fileName)
    }

    /// Lets the kernel drop the mapped pages wholly inside `start..<end`: they are read, and a
    /// page the next window shares stays.
    private func release(from start: Int, to end: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let address = UInt(bitPattern: bytes.baseAddress!)
        let first = (Int(address) + start + page - 1) / page * page, last = (Int(address) + end) / page * page
        guard last > first, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(pointer, last - first, MADV_DONTNEED)
    }
}

/// The rows of a read in windows (a mapped file's or a stream's), as they grow: each window's
/// slices parsed at once, their IDs numbered, their rows appended.
struct WindowRows {
    private var rows: ParsedSlice?
    private let users = NumberedColumn(), items = NumberedColumn()
    /// The last window's slices once appended, whose arrays the next window's parsers fill
    /// again: with the mmap threshold fixed, as `encore` fixes it, each window's arrays were
    /// fresh mappings, cleared page by page (reading the reference log took 1.07 of the time).
    private var spare: [ParsedSlice?] = []
    private let threads: Int

    init(threads: Int) { self.threads = threads }

    /// Rows kept so far.
    var rowsRead: Int { rows?.report.rowsRead ?? 0 }

    /// Parses `window`, cut into slices at `bounds`, and appends its rows; returns how many line
    /// breaks it held. `totalBytes`, when known, sizes the arrays for the whole input at the first
    /// window's density, so that they are not doubled, and copied, as they grow.
    mutating func append(
        _ window: UnsafeBufferPointer<UInt8>, bounds: [Int], fileName: String, layout: DelimitedReadOptions, firstLine: Int,
        headerInFirst: Bool, totalBytes: Int?
    ) throws -> Int {
        let (parts, lineBreaks) = try DelimitedReader.parseSlices(window, bounds: bounds, fileName: fileName, layout: layout, firstLine: firstLine,
                                                                  headerInFirst: headerInFirst, deferringIDs: true, reusing: &spare, progress: nil)
        number(parts)
        spare = []
        for var part in parts {
            if rows == nil {
                part.spans = nil
                rows = part
                if let totalBytes {
                    // 2% over the first window's density.
                    let expected = Double(part.report.rowsRead) * Double(totalBytes) / Double(max(1, bounds[1])) * 1.02
                    let reserved = Int(min(expected, Double(Int32.max) * 64))
                    rows!.reserve(rows: reserved)
                    users.numbers.reserveCapacity(reserved)
                    items.numbers.reserveCapacity(reserved)
                }
            } else {
                rows!.absorb(part)
                spare.append(part)
            }
        }
        return lineBreaks
    }

    /// The interactions of every window appended (the spare arrays let go first).
    mutating func interactions(fileName: String) throws -> (Interactions, ReadReport) {
        spare = []
        guard var rows else { throw EncoreError.emptyInput(file: fileName) }
        (rows.users, rows.userIDs) = users.take()
        (rows.items, rows.itemIDs) = items.take()
        return try rows.interactions(fileName: fileName)
    }

    /// Numbers a window's IDs, the users' on one thread and the items' on another. Each column
    /// has one table for the whole input, filled in its order, so the numbers are those of one
    /// pass: no table per slice, and no second lookup of every ID to merge them.
    private func number(_ parts: [ParsedSlice]) {
        Parallel.forEachChunk(count: 2, chunkSize: 1, threads: threads) { columns, _ in
            for column in columns {
                for part in parts {
                    if column == 0 { users.intern(part.spans!.users) } else { items.intern(part.spans!.items) }
                }
            }
        }
    }
}

/// One ID column of a windowed read: its table of IDs and every row's number so far. A class so
/// that the two columns can be filled on two threads at once.
private final class NumberedColumn: @unchecked Sendable {
    private var interner = ByteInterner()
    var numbers: [UInt32] = []

    func intern(_ spans: IDSpans) { interner.intern(spans, appendingTo: &numbers) }

    /// Hands over the numbers and the table, leaving this column empty.
    func take() -> ([UInt32], ByteInterner) {
        defer { (numbers, interner) = ([], ByteInterner()) }
        return (numbers, interner)
    }
}
