import Foundation

/// The binary play log (`.encore-data`): a `PlayLog` — interned IDs, item names, both CSR
/// orientations — laid out so that reading it is reading its arrays straight into place, each
/// section checked by its checksum. docs/data-formats.md describes the layout byte by byte.
package enum PlayLogFile {
    /// The first eight bytes of every play log.
    package static let magic: [UInt8] = Array("ENCPLAYS".utf8)
    /// The layout version this code writes and reads.
    package static let version: UInt32 = 1
    /// The usual file extension.
    package static let fileExtension = "encore-data"
    /// Header bytes before the section table.
    static let headerSize = 64
    /// Sections, in file order (see `Section`).
    static let sectionCount = 12
    /// Every section starts at a multiple of this, so a mapped array is aligned.
    static let alignment = 64

    /// What the file's sections hold, in order.
    enum Section: Int, CaseIterable {
        case userIDEnds, userIDBytes, itemIDEnds, itemIDBytes, itemNameEnds, itemNameBytes
        case userOffsets, userColumns, userValues, itemOffsets, itemColumns, itemValues
    }

    /// Whether the file at `path` starts with the play log's magic (false when it cannot be read).
    package static func isPlayLog(path: String) -> Bool {
        // A stream's first bytes, once read, are gone: it is taken to be text.
        guard !StreamedRead.isStream(path), let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: magic.count) else { return false }
        return Array(head) == magic
    }

    // MARK: - Writing

    /// Writes `log` to `path` atomically (a failure leaves no file and any old one intact).
    package static func write(_ log: PlayLog, to path: String) throws {
        let sections = SectionWriters(log)
        // Checksums first (a pass over memory), so the header can be written before the data.
        var table: [(offset: Int, count: Int, checksum: UInt64)] = []
        var offset = headerSize + sectionCount * 24
        for section in Section.allCases {
            offset = aligned(offset)
            var accumulator = Checksum.Accumulator()
            let count = try sections.emit(section) { accumulator.add($0) }
            table.append((offset, count, accumulator.value))
            offset += count
        }
        var header = Data()
        header.append(contentsOf: magic)
        appendInteger(version, to: &header)
        appendInteger(UInt32(log.itemNames == nil ? 0 : 1), to: &header)
        for value in [log.userIDs.count, log.itemIDs.count, log.userItems.nonZeroCount, log.sourceRows, sectionCount] {
            appendInteger(UInt64(value), to: &header)
        }
        var tableBytes = Data()
        for entry in table {
            for value in [UInt64(entry.offset), UInt64(entry.count), entry.checksum] { appendInteger(value, to: &tableBytes) }
        }
        // Byte 56 holds the checksum of the header's other bytes and the section table.
        appendInteger((header + tableBytes).withUnsafeBytes { Checksum.of($0) }, to: &header)
        header.append(tableBytes)
        var writer = try AtomicFileWriter(path: path)
        do {
            try header.withUnsafeBytes { try writer.write($0) }
            var position = header.count
            let padding = [UInt8](repeating: 0, count: alignment)
            for (section, entry) in zip(Section.allCases, table) {
                try padding.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[0..<(entry.offset - position)])) }
                var failure: Error?
                _ = try sections.emit(section) { bytes in
                    guard failure == nil else { return }
                    do { try writer.write(bytes) } catch { failure = error }
                }
                if let failure { throw failure }
                position = entry.offset + entry.count
            }
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }

    static func aligned(_ offset: Int) -> Int { (offset + alignment - 1) / alignment * alignment }

    private static func appendInteger<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    /// Emits each section's bytes in pieces, the same pieces every time it is asked.
    private struct SectionWriters {
        let log: PlayLog

        init(_ log: PlayLog) { self.log = log }

        /// Calls `sink` with section `section`'s bytes in order; returns their count.
        func emit(_ section: Section, _ sink: (UnsafeRawBufferPointer) -> Void) throws -> Int {
            switch section {
            case .userIDEnds: return PlayLogFile.emitEnds(of: log.userIDs.lazyIDs, sink)
            case .userIDBytes: return PlayLogFile.emitBytes(of: log.userIDs.lazyIDs, sink)
            case .itemIDEnds: return PlayLogFile.emitEnds(of: log.itemIDs.lazyIDs, sink)
            case .itemIDBytes: return PlayLogFile.emitBytes(of: log.itemIDs.lazyIDs, sink)
            case .itemNameEnds: return PlayLogFile.emitEnds(of: log.itemNames ?? [], sink)
            case .itemNameBytes: return PlayLogFile.emitBytes(of: log.itemNames ?? [], sink)
            case .userOffsets: return PlayLogFile.emitArray(log.userItems.offsets.map { Int64($0) }, sink)
            case .userColumns: return PlayLogFile.emitArray(log.userItems.indices, sink)
            case .userValues: return PlayLogFile.emitArray(log.userItems.values, sink)
            case .itemOffsets: return PlayLogFile.emitArray(log.itemUsers.offsets.map { Int64($0) }, sink)
            case .itemColumns: return PlayLogFile.emitArray(log.itemUsers.indices, sink)
            case .itemValues: return PlayLogFile.emitArray(log.itemUsers.values, sink)
            }
        }
    }

    /// Pieces of at most this many bytes are handed on when strings are serialised.
    private static let pieceSize = 1 << 22

    private static func emitArray<T>(_ array: [T], _ sink: (UnsafeRawBufferPointer) -> Void) -> Int {
        emitArray(MappableArray(array), sink)
    }

    private static func emitArray<T>(_ array: MappableArray<T>, _ sink: (UnsafeRawBufferPointer) -> Void) -> Int {
        array.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + pieceSize)
                sink(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                start = end
            }
            return bytes.count
        }
    }

    /// The end offset (UInt64) of each string's bytes in the bytes section.
    private static func emitEnds<Strings: Collection<String>>(of strings: Strings, _ sink: (UnsafeRawBufferPointer) -> Void) -> Int {
        var ends: [UInt64] = []
        ends.reserveCapacity(min(strings.count, pieceSize / 8))
        var end: UInt64 = 0
        for string in strings {
            end += UInt64(string.utf8.count)
            ends.append(end.littleEndian)
            if ends.count == pieceSize / 8 { ends.withUnsafeBytes(sink); ends.removeAll(keepingCapacity: true) }
        }
        ends.withUnsafeBytes(sink)
        return strings.count * 8
    }

    private static func emitBytes<Strings: Collection<String>>(of strings: Strings, _ sink: (UnsafeRawBufferPointer) -> Void) -> Int {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(pieceSize)
        var total = 0
        for string in strings {
            buffer.append(contentsOf: string.utf8)
            if buffer.count >= pieceSize - 4096 { total += buffer.count; buffer.withUnsafeBytes(sink); buffer.removeAll(keepingCapacity: true) }
        }
        total += buffer.count
        buffer.withUnsafeBytes(sink)
        return total
    }
}

// MARK: - Reading

extension PlayLogFile {
    /// Reads the play log at `path`, each array straight into the memory it is used from.
    /// - Throws: `EncoreError.io` naming the file when it cannot be read, is not a play log, is
    ///   of another version, or is truncated or damaged (a section's checksum differs).
    package static func read(path: String) throws -> PlayLog {
        var reader = try SectionReader(path: path)
        defer { reader.close() }
        let users = reader.userCount, items = reader.itemCount
        let userIDs = try reader.idIndex(ends: .userIDEnds, bytes: .userIDBytes, count: users)
        let itemIDs = try reader.idIndex(ends: .itemIDEnds, bytes: .itemIDBytes, count: items)
        let itemNames = reader.hasItemNames ? try reader.strings(ends: .itemNameEnds, bytes: .itemNameBytes, count: items) : nil
        // The weights are left in the file, mapped: training reads them once, to code them (their
        // pages let go as it goes), and the model reads the users' again at the end, so they
        // need not be 8 B/play of memory of their own while the log is read.
        let mapping = try FileMapping(path: path)
        func matrix(_ offsets: Section, _ columns: Section, _ values: Section, rows: Int, columnCount: Int) throws -> SparseMatrix {
            let offsets: [Int] = try reader.array(offsets, count: rows + 1)
            let columnArray: [UInt32] = try reader.array(columns, count: reader.nonZeroCount)
            let valueArray: MappableArray<Float> = mapping.isMapped
                ? try reader.mappedArray(values, count: reader.nonZeroCount, in: mapping)
                : MappableArray(try reader.array(values, count: reader.nonZeroCount))
            do {
                return try SparseMatrix(rowCount: rows, columnCount: columnCount, offsets: offsets, indices: columnArray, values: valueArray)
            } catch let EncoreError.invalidArgument(message) {
                throw reader.damaged("its \(rows == users ? "users × items" : "items × users") matrix is inconsistent (\(message))")
            }
        }
        let userItems = try matrix(.userOffsets, .userColumns, .userValues, rows: users, columnCount: items)
        let itemUsers = try matrix(.itemOffsets, .itemColumns, .itemValues, rows: items, columnCount: users)
        return PlayLog(userIDs: userIDs, itemIDs: itemIDs, itemNames: itemNames, userItems: userItems, itemUsers: itemUsers,
                       sourceRows: reader.sourceRows)
    }

    /// An open play log whose header and section table have been read and checked.
    private struct SectionReader {
        let path: String
        private var descriptor: Int32
        private(set) var userCount = 0, itemCount = 0, nonZeroCount = 0, sourceRows = 0
        private(set) var hasItemNames = false
        private var table: [(offset: Int, count: Int, checksum: UInt64)] = []

        init(path: String) throws {
            self.path = path
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw EncoreError.io(path: path, reason: "cannot be opened (\(String(cString: strerror(errno))))") }
            do { try readHeader() } catch { close(); throw error }
        }

        mutating func close() {
            if descriptor >= 0 { Foundation.close(descriptor) }
            descriptor = -1
        }

        func damaged(_ reason: String) -> EncoreError { .io(path: path, reason: "not a usable Encore play log: \(reason)") }

        private mutating func readHeader() throws {
            var status = stat()
            guard fstat(descriptor, &status) == 0 else { throw EncoreError.io(path: path, reason: "cannot be read (\(String(cString: strerror(errno))))") }
            let fileSize = Int(status.st_size)
            let tableEnd = PlayLogFile.headerSize + PlayLogFile.sectionCount * 24
            var head = [UInt8](repeating: 0, count: min(fileSize, tableEnd))
            try head.withUnsafeMutableBytes { try readFully(into: $0, at: 0) }
            guard head.starts(with: PlayLogFile.magic) else { throw damaged("it does not start with ENCPLAYS") }
            guard fileSize >= PlayLogFile.headerSize else { throw damaged("it is too short for a header (\(fileSize) bytes)") }
            func integer<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
                head.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
            }
            let version = integer(8, UInt32.self)
            guard version == PlayLogFile.version else { throw damaged("it is version \(version); this Encore reads version \(PlayLogFile.version)") }
            guard head.count == tableEnd, integer(48, UInt64.self) == UInt64(PlayLogFile.sectionCount) else { throw damaged("its section table is truncated or of another size") }
            let checked = Array(head[0..<56]) + Array(head[PlayLogFile.headerSize...])
            guard checked.withUnsafeBytes({ Checksum.of($0) }) == integer(56, UInt64.self) else { throw damaged("its header is damaged (checksum differs)") }
            let counts = [16, 24, 32, 40].map { integer($0, UInt64.self) }
            guard counts.allSatisfy({ $0 <= UInt64(Int.max / 16) }) else { throw damaged("its counts are out of range") }
            (userCount, itemCount, nonZeroCount, sourceRows) = (Int(counts[0]), Int(counts[1]), Int(counts[2]), Int(counts[3]))
            hasItemNames = integer(12, UInt32.self) & 1 != 0
            for section in 0..<PlayLogFile.sectionCount {
                let base = PlayLogFile.headerSize + section * 24
                let offset = integer(base, UInt64.self), count = integer(base + 8, UInt64.self)
                guard offset <= UInt64(fileSize), count <= UInt64(fileSize) - offset else {
                    throw damaged("it is truncated (section \(section) ends past the file's \(fileSize) bytes)")
                }
                table.append((Int(offset), Int(count), integer(base + 16, UInt64.self)))
            }
        }

        /// Section `section` as `count` values of `T`, checked against its checksum.
        func array<T>(_ section: Section, count: Int) throws -> [T] {
            let entry = table[section.rawValue]
            guard entry.count == count * MemoryLayout<T>.stride else {
                throw damaged("section \(section) holds \(entry.count) bytes, not the \(count * MemoryLayout<T>.stride) its header implies")
            }
            return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                let bytes = UnsafeMutableRawBufferPointer(buffer)
                try readFully(into: bytes, at: entry.offset)
                guard Checksum.of(UnsafeRawBufferPointer(bytes)) == entry.checksum else { throw damaged("section \(section) is damaged (checksum differs)") }
                initialized = count
            }
        }

        /// Section `section` as `count` values of `T` in place in `mapping` (this file, mapped),
        /// checked against its checksum a window at a time, each window's pages let go once
        /// summed, so that checking does not leave the section resident.
        func mappedArray<T: BitwiseCopyable>(_ section: Section, count: Int, in mapping: FileMapping) throws -> MappableArray<T> {
            let entry = table[section.rawValue]
            guard entry.count == count * MemoryLayout<T>.stride else {
                throw damaged("section \(section) holds \(entry.count) bytes, not the \(count * MemoryLayout<T>.stride) its header implies")
            }
            guard entry.offset + entry.count <= mapping.bytes.count, entry.offset % MemoryLayout<T>.alignment == 0,
                  let base = mapping.bytes.baseAddress else { throw damaged("it changed while being read") }
            var checksum = Checksum.Accumulator()
            let window = 32 << 20
            for start in stride(from: entry.offset, to: entry.offset + entry.count, by: window) {
                let end = min(entry.offset + entry.count, start + window)
                checksum.add(UnsafeRawBufferPointer(start: base + start, count: end - start))
                mapping.release(start..<end)
            }
            guard checksum.value == entry.checksum else { throw damaged("section \(section) is damaged (checksum differs)") }
            return MappableArray(mappedAt: (base + entry.offset).assumingMemoryBound(to: T.self), count: count, in: mapping)
        }

        /// Elements `elements` of section `section`, which holds `total` values of `T`.
        func part<T>(_ section: Section, elements: Range<Int>, of total: Int) throws -> [T] {
            let entry = table[section.rawValue], stride = MemoryLayout<T>.stride
            guard entry.count == total * stride else {
                throw damaged("section \(section) holds \(entry.count) bytes, not the \(total * stride) its header implies")
            }
            return try [T](unsafeUninitializedCapacity: elements.count) { buffer, initialized in
                try readFully(into: UnsafeMutableRawBufferPointer(buffer), at: entry.offset + elements.lowerBound * stride)
                initialized = elements.count
            }
        }

        /// The ID index of `count` IDs in an ends section and a bytes section, each checked.
        func idIndex(ends: Section, bytes: Section, count: Int) throws -> IDIndex {
            let endOffsets: [UInt64] = try array(ends, count: count)
            let text: [UInt8] = try array(bytes, count: table[bytes.rawValue].count)
            var start: UInt64 = 0
            for end in endOffsets {
                guard end >= start, end <= UInt64(text.count) else { throw damaged("section \(ends) has an end offset out of order") }
                start = end
            }
            do {
                return try text.withUnsafeBufferPointer { text in try endOffsets.withUnsafeBufferPointer { try IDIndex(bytes: text, ends: $0) } }
            } catch let EncoreError.invalidArgument(message) {
                throw damaged(message)
            }
        }

        /// `count` strings from an ends section and a bytes section.
        func strings(ends: Section, bytes: Section, count: Int) throws -> [String] {
            let endOffsets: [UInt64] = try array(ends, count: count)
            let text: [UInt8] = try array(bytes, count: table[bytes.rawValue].count)
            var start = 0
            return try text.withUnsafeBufferPointer { text in
                try endOffsets.map { end in
                    guard end >= UInt64(start), end <= UInt64(text.count) else { throw damaged("section \(ends) has an end offset out of order") }
                    defer { start = Int(end) }
                    return String(decoding: UnsafeBufferPointer(rebasing: text[start..<Int(end)]), as: UTF8.self)
                }
            }
        }

        private func readFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
            var done = 0
            while done < buffer.count {
                let got = pread(descriptor, buffer.baseAddress! + done, min(buffer.count - done, 1 << 30), off_t(offset + done))
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else {
                    throw got == 0 ? damaged("it is truncated") : EncoreError.io(path: path, reason: "cannot be read (\(String(cString: strerror(errno))))")
                }
                done += got
            }
        }
    }
}

// MARK: - Reading a part (a distributed read)

extension PlayLogFile {
    /// The counts in a play log's header.
    package struct Shape: Sendable {
        package var userCount: Int
        package var itemCount: Int
        package var nonZeroCount: Int
        package var sourceRows: Int
    }

    /// The counts of the play log at `path`, from its checked header.
    package static func shape(path: String) throws -> Shape {
        var reader = try SectionReader(path: path)
        defer { reader.close() }
        return Shape(userCount: reader.userCount, itemCount: reader.itemCount, nonZeroCount: reader.nonZeroCount, sourceRows: reader.sourceRows)
    }

    /// The IDs and item names of the play log at `path`, each section checked.
    package static func readIDs(path: String) throws -> (userIDs: [String], itemIDs: [String], itemNames: [String]?) {
        var reader = try SectionReader(path: path)
        defer { reader.close() }
        return (try reader.strings(ends: .userIDEnds, bytes: .userIDBytes, count: reader.userCount),
                try reader.strings(ends: .itemIDEnds, bytes: .itemIDBytes, count: reader.itemCount),
                reader.hasItemNames ? try reader.strings(ends: .itemNameEnds, bytes: .itemNameBytes, count: reader.itemCount) : nil)
    }

    /// Rows `rows` of the users × items matrix (`ofUsers`) or of the items × users one, as a
    /// matrix of those rows only: what one process of a distributed job owns. Only the rows'
    /// bytes are read, so the sections' checksums (over whole sections) are not checked; the
    /// rows are checked as any CSR is (sorted, in range).
    package static func readRows(path: String, ofUsers: Bool, rows: Range<Int>) throws -> SparseMatrix {
        var reader = try SectionReader(path: path)
        defer { reader.close() }
        let (rowCount, columnCount) = ofUsers ? (reader.userCount, reader.itemCount) : (reader.itemCount, reader.userCount)
        guard rows.lowerBound >= 0, rows.upperBound <= rowCount else { throw reader.damaged("it has \(rowCount) rows, not \(rows.upperBound)") }
        let sections: (Section, Section, Section) = ofUsers ? (.userOffsets, .userColumns, .userValues) : (.itemOffsets, .itemColumns, .itemValues)
        let offsets: [Int] = try reader.part(sections.0, elements: rows.lowerBound..<rows.upperBound + 1, of: rowCount + 1)
        let first = offsets.first!, last = offsets.last!
        guard 0 <= first, first <= last, last <= reader.nonZeroCount else { throw reader.damaged("its row offsets are out of range") }
        let columns: [UInt32] = try reader.part(sections.1, elements: first..<last, of: reader.nonZeroCount)
        let values: [Float] = try reader.part(sections.2, elements: first..<last, of: reader.nonZeroCount)
        do {
            return try SparseMatrix(rowCount: rows.count, columnCount: columnCount, offsets: offsets.map { $0 - first }, indices: columns, values: values)
        } catch let EncoreError.invalidArgument(message) {
            throw reader.damaged("rows \(rows) are inconsistent (\(message))")
        }
    }
}
