/// Writes a file atomically as it is produced, through a buffer, checksumming every byte on the
/// way: a model file of a few hundred megabytes is never assembled in memory first (assembling
/// it took longer than writing it, and its pages were the largest allocation of a training run).
/// A writer dropped before `commit()` deletes its temporary file. Given a chunk size, it sums
/// each section's chunks instead of the whole file (model file version 4, `ChunkChecksums`).
package final class ChecksummedFileWriter: ByteSink {
    private var file: AtomicFileWriter
    private var checksum = Checksum.Accumulator()
    private var chunks: ChunkChecksums?
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private var used = 0
    private var finished = false
    /// Bytes appended so far.
    package private(set) var position = 0

    /// Opens a temporary file beside `path` (see `AtomicFileWriter`); bytes reach it in writes
    /// of `bufferCapacity` or more. With `chunkSize`, the file ends in a chunk table rather
    /// than one checksum, and the caller marks where each section ends (`endSection`).
    package init(path: String, bufferCapacity: Int = 1 << 20, chunkSize: Int? = nil) throws {
        precondition(bufferCapacity > 0, "the buffer must hold at least one byte")
        file = try AtomicFileWriter(path: path)
        chunks = chunkSize.map(ChunkChecksums.init(chunkSize:))
        capacity = bufferCapacity
        buffer = .allocate(byteCount: bufferCapacity, alignment: 64)
    }

    deinit {
        if !finished { file.abandon() }
        buffer.deallocate()
    }

    /// Appends bytes; they are checksummed and written when the buffer fills, so that the
    /// many small pieces of a file (one per ID) cost a copy each and nothing more.
    package func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        position += bytes.count
        var offset = 0
        while offset < bytes.count {
            if used == 0 && bytes.count - offset >= capacity {
                // Whole buffers' worth go straight to the file, uncopied.
                let run = UnsafeRawBufferPointer(start: base + offset, count: (bytes.count - offset) / capacity * capacity)
                sum(run)
                try file.write(run)
                offset += run.count
                continue
            }
            let taken = min(capacity - used, bytes.count - offset)
            (buffer + used).copyMemory(from: base + offset, byteCount: taken)
            used += taken
            offset += taken
            if used == capacity { try flush() }
        }
    }

    private func flush() throws {
        let pending = UnsafeRawBufferPointer(start: buffer, count: used)
        sum(pending)
        try file.write(pending)
        used = 0
    }

    private func sum(_ bytes: UnsafeRawBufferPointer) {
        if chunks != nil { chunks!.add(bytes) } else { checksum.add(bytes) }
    }

    /// Marks the bytes since the last section's end as section `kind` (chunked files only).
    func endSection(_ kind: ModelFileSection) throws {
        guard chunks != nil else { return }
        try flush()
        chunks!.endSection(kind)
    }

    /// Appends the checksum of every byte written (UInt64, little-endian, not itself
    /// checksummed) — or, for a chunked file, its chunk table, the table's length (UInt64) and
    /// the checksum of those two — flushes to disk and renames the file over the target.
    package func commit() throws {
        try flush()
        if let chunks {
            var trailer = chunks.tableBytes
            withUnsafeBytes(of: UInt64(trailer.count).littleEndian) { trailer += $0 }
            let root = trailer.withUnsafeBytes { Checksum.of($0) }
            withUnsafeBytes(of: root.littleEndian) { trailer += $0 }
            try trailer.withUnsafeBytes { try file.write($0) }
        } else {
            var value = checksum.value.littleEndian
            try withUnsafeBytes(of: &value) { try file.write($0) }
        }
        try file.commit()
        finished = true
    }
}
