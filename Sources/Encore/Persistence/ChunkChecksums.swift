import Foundation

/// The sections of a model file, as its chunk table (format version 4) names them: the
/// numbered sections of docs/model-file.md, the first one holding the file's prefix too.
package enum ModelFileSection: UInt64, CaseIterable, Sendable {
    case header = 1, userIDs, itemIDs, itemNames, userFactors, itemFactors, trainingMatrix, itemTags

    /// How an error message names it.
    package var title: String {
        switch self {
        case .header: "header"
        case .userIDs: "user ID table"
        case .itemIDs: "item ID table"
        case .itemNames: "item names"
        case .userFactors: "user factors"
        case .itemFactors: "item factors"
        case .trainingMatrix: "training matrix"
        case .itemTags: "item tags"
        }
    }
}

/// Sums a file's bytes a chunk at a time as they are written, and writes them out as the
/// chunk table of a version 4 model file: each section is cut into chunks of `chunkSize`
/// bytes from its own start (the last one shorter), each chunk checksummed on its own, so
/// that a reader can check just the chunks it reads (`ChunkVerifier`).
struct ChunkChecksums {
    /// One section of the table: what it is and the file bytes it covers.
    struct Section: Equatable {
        var kind: ModelFileSection
        var start: Int
        var length: Int
    }

    let chunkSize: Int
    private(set) var sections: [Section] = []
    private(set) var checksums: [UInt64] = []
    private var chunk = Checksum.Accumulator()
    private var inChunk = 0
    private var sectionStart = 0
    /// Bytes added so far: the file offset of the next.
    private(set) var position = 0

    init(chunkSize: Int) {
        precondition(chunkSize > 0, "a chunk holds at least one byte")
        self.chunkSize = chunkSize
    }

    /// Adds the next bytes of the file, closing each chunk as it fills.
    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let taken = min(chunkSize - inChunk, bytes.count - offset)
            chunk.add(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + taken)]))
            inChunk += taken
            offset += taken
            if inChunk == chunkSize { closeChunk() }
        }
        position += bytes.count
    }

    /// Ends the current section at the current position: the bytes since the last section's end are `kind`.
    mutating func endSection(_ kind: ModelFileSection) {
        if inChunk > 0 { closeChunk() }
        sections.append(Section(kind: kind, start: sectionStart, length: position - sectionStart))
        sectionStart = position
    }

    private mutating func closeChunk() {
        checksums.append(chunk.value)
        chunk = Checksum.Accumulator()
        inChunk = 0
    }

    /// The table as it is stored: chunk size, section count, each section's kind, start and
    /// length, then every chunk's checksum in file order (all UInt64, little-endian).
    var tableBytes: [UInt8] {
        var words: [UInt64] = [UInt64(chunkSize), UInt64(sections.count)]
        for section in sections { words += [section.kind.rawValue, UInt64(section.start), UInt64(section.length)] }
        words += checksums
        return words.flatMap { word in withUnsafeBytes(of: word.littleEndian) { Array($0) } }
    }
}

/// Checks a version 4 model file's chunks against its chunk table, each one once, when the
/// bytes in it are about to be used: a one-shot command checks the chunks it reads (one
/// listener's rows and the item side) and leaves the rest of a large file untouched, and a
/// command that reads everything checks everything. Thread-safe; a chunk two threads ask for
/// at once may be summed twice, which is harmless.
package final class ChunkVerifier: @unchecked Sendable {
    private let path: String
    /// The file up to its chunk table, inside `mapping`, which the verifier keeps alive.
    private let bytes: UnsafeRawBufferPointer
    private let mapping: FileMapping
    private let chunkSize: Int
    private let sections: [ChunkChecksums.Section]
    /// Index of each section's first chunk in `expected`.
    private let firstChunk: [Int]
    private let expected: [UInt64]
    /// Which chunks have been found right (guarded by `lock`).
    private var checked: [Bool]
    private let lock = NSLock()

    /// Reads the chunk table (`ChunkChecksums.tableBytes`) of the version 4 file in `mapping`,
    /// whose payload ends at `payloadEnd`; a table that does not describe the bytes before it
    /// exactly is an `invalidModelFile` error.
    init(of mapping: FileMapping, payloadEnd: Int, path: String) throws {
        let bytes = UnsafeRawBufferPointer(rebasing: mapping.bytes[0..<payloadEnd])
        let table = UnsafeRawBufferPointer(rebasing: mapping.bytes[payloadEnd..<(mapping.bytes.count - 16)])
        func invalid(_ reason: String) -> EncoreError { .invalidModelFile(path: path, reason: "its chunk table \(reason)") }
        let words = table.count / 8
        func word(_ index: Int) -> UInt64 { table.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) }
        guard table.count % 8 == 0, words >= 2, word(0) > 0, word(0) <= UInt64(Int32.max), word(1) <= UInt64(words) else {
            throw invalid("is malformed")
        }
        chunkSize = Int(word(0))
        var sections: [ChunkChecksums.Section] = [], firstChunk: [Int] = [], chunks = 0, end = 0
        for index in 0..<Int(word(1)) {
            let base = 2 + index * 3
            guard base + 2 < words, let kind = ModelFileSection(rawValue: word(base)), word(base + 1) == UInt64(end),
                  word(base + 2) <= UInt64(bytes.count - end) else { throw invalid("does not cover the file's sections in order") }
            let length = Int(word(base + 2))
            sections.append(.init(kind: kind, start: end, length: length))
            firstChunk.append(chunks)
            chunks += (length + chunkSize - 1) / chunkSize
            end += length
        }
        let sumsStart = 2 + sections.count * 3
        guard end == bytes.count, words - sumsStart == chunks else { throw invalid("does not cover the file's sections in order") }
        self.path = path
        self.bytes = bytes
        self.mapping = mapping
        self.sections = sections
        self.firstChunk = firstChunk
        expected = (sumsStart..<words).map(word)
        checked = [Bool](repeating: false, count: chunks)
    }

    /// How many chunks the file is cut into.
    package var chunkCount: Int { expected.count }
    /// The sections the table names, in file order.
    package var sectionKinds: [ModelFileSection] { sections.map(\.kind) }

    /// Checks every chunk that holds a byte of `range` (file offsets) not checked before.
    package func check(_ range: Range<Int>) throws {
        guard !range.isEmpty else { return }
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "a range outside the checked bytes")
        var s = sections.lastIndex { $0.start <= range.lowerBound } ?? 0
        while s < sections.count && sections[s].start < range.upperBound {
            let section = sections[s]
            let from = max(range.lowerBound, section.start) - section.start
            let to = min(range.upperBound, section.start + section.length) - section.start
            if from < to {
                for local in (from / chunkSize)...((to - 1) / chunkSize) { try checkChunk(local, of: s) }
            }
            s += 1
        }
    }

    /// Checks the bytes of `buffer`, which lies inside the file's mapping.
    package func check(_ buffer: UnsafeRawBufferPointer) throws {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let start = base - bytes.baseAddress!
        try check(start..<(start + buffer.count))
    }

    /// Checks every chunk of the file.
    package func checkAll() throws { try check(0..<bytes.count) }

    /// Checks every chunk of the sections of `kind`.
    package func check(_ kind: ModelFileSection) throws {
        for section in sections where section.kind == kind { try check(section.start..<(section.start + section.length)) }
    }

    private func checkChunk(_ local: Int, of s: Int) throws {
        let index = firstChunk[s] + local
        if lock.withLock({ checked[index] }) { return }
        let section = sections[s]
        let start = section.start + local * chunkSize, end = min(start + chunkSize, section.start + section.length)
        guard Checksum.of(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) == expected[index] else {
            throw EncoreError.invalidModelFile(path: path, reason: "its \(section.kind.title) section is corrupted: "
                + "the checksum of bytes \(start)–\(end - 1) does not match (chunk \(local + 1) of the section)")
        }
        lock.withLock { checked[index] = true }
    }
}

/// What a model loaded from a version 4 file without checking every chunk has left to check:
/// a user's factor row and, when the training matrix was left too, the user's training row
/// (its chunks, then its columns). `TrainedModel.userIndex` runs it before handing the user out,
/// so a listener's rows are checked before any command reads them.
package final class UserRowChecks: Sendable {
    private let chunks: ChunkVerifier
    private let path: String
    /// Whether the training matrix's entries were left unchecked at load (else checked whole).
    package let trainingMatrixDeferred: Bool

    init(chunks: ChunkVerifier, path: String, trainingMatrixDeferred: Bool) {
        self.chunks = chunks
        self.path = path
        self.trainingMatrixDeferred = trainingMatrixDeferred
    }

    /// Checks the chunks holding user `user`'s rows, and the columns of the training row.
    func check(user: Int, factors: DenseMatrix, interactions: SparseMatrix) throws {
        try chunks.check(UnsafeRawBufferPointer(start: factors.row(user), count: factors.stride * MemoryLayout<Float>.stride))
        guard trainingMatrixDeferred else { return }
        // The offsets were checked at load; the entries between them are the row.
        let row = interactions.offsets[user]..<interactions.offsets[user + 1]
        try interactions.indices.withUnsafeBufferPointer { try chunks.check(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: $0[row]))) }
        try interactions.values.withUnsafeBufferPointer { try chunks.check(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: $0[row]))) }
        do {
            try interactions.checkColumns(ofRow: user)
        } catch let error as EncoreError {
            throw EncoreError.invalidModelFile(path: path, reason: "its contents are inconsistent (\(error.description))")
        }
    }
}
