import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One pass over text that cannot be mapped — standard input ("-"), a pipe, a character
/// device — as `WindowedRead` makes over a mapped file: the text is read into one window of a
/// few tens of megabytes per thread, cut after its last line break, parsed in slices at once,
/// and the rest moved to the front for the next window. Memory follows the rows kept, not the
/// text, so `encore synth --output - | encore import -` needs no disk for the text. The result
/// is the same as one pass over the whole text. Quoted CSV, whose fields may hold line breaks,
/// cannot be cut safely and is refused (save it to a file first).
package struct StreamedRead {
    let descriptor: Int32
    let fileName: String
    let slices: Int
    let progress: ((IngestProgress) -> Void)?
    /// Bytes of text per thread in one window (tests make it small, to cross many windows).
    let bytesPerSlice: Int

    init(descriptor: Int32, fileName: String, slices: Int, bytesPerSlice: Int = 32 << 20, progress: ((IngestProgress) -> Void)?) {
        self.descriptor = descriptor
        self.fileName = fileName
        self.slices = slices
        self.bytesPerSlice = bytesPerSlice
        self.progress = progress
    }

    /// Whether `path` names standard input or something that is read, not mapped.
    package static func isStream(_ path: String) -> Bool {
        if path == "-" { return true }
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        let kind = status.st_mode & S_IFMT
        return kind == S_IFIFO || kind == S_IFCHR || kind == S_IFSOCK
    }

    /// Reads the stream at `path` ("-": standard input) to its end.
    static func read(path: String, options: DelimitedReadOptions, threads: Int, progress: ((IngestProgress) -> Void)?) throws -> (Interactions, ReadReport) {
        let descriptor = path == "-" ? 0 : open(path, O_RDONLY)
        guard descriptor >= 0 else { throw EncoreError.io(path: path, reason: "cannot be read (\(String(cString: strerror(errno))))") }
        defer { if descriptor != 0 { close(descriptor) } }
        let name = path == "-" ? "standard input" : path
        return try StreamedRead(descriptor: descriptor, fileName: name, slices: max(1, threads), progress: progress).run(options: options)
    }

    func run(options: DelimitedReadOptions) throws -> (Interactions, ReadReport) {
        var window = StreamWindow(capacity: max(1, bytesPerSlice * slices))
        defer { window.release() }
        var layout: DelimitedReadOptions?
        var rows = WindowRows(threads: slices)
        var firstLine = 1, consumed = 0
        while try window.fill(from: descriptor, fileName: fileName) {
            guard let end = window.cut() else { continue }
            let text = UnsafeBufferPointer(start: window.bytes, count: end)
            let isFirst = layout == nil
            if isFirst { layout = try DelimitedReader.resolvedLayout(text, fileName: fileName, options: options) }
            if case let .exactly(separator) = layout!.delimiter, separator == "," || separator == ";",
               memchr(text.baseAddress!, Int32(UInt8(ascii: "\"")), text.count) != nil {
                throw EncoreError.invalidArgument("\(fileName): quoted CSV fields may hold line breaks, so it cannot be read as a stream; save it to a file first")
            }
            let headerEnd = isFirst && layout!.header == .present ? DelimitedReader.endOfFirstNonBlankLine(text) : 0
            var bounds = [0]
            for slice in 1..<slices {
                bounds.append(max(bounds.last!, headerEnd, DelimitedReader.lineStart(text, atOrAfter: slice * text.count / slices)))
            }
            bounds.append(text.count)
            firstLine += try rows.append(text, bounds: bounds, fileName: fileName, layout: layout!, firstLine: firstLine,
                                         headerInFirst: isFirst, totalBytes: nil)
            consumed += end
            window.drop(end)
            // The total is unknown: 0 says so, and the progress line shows rows and rows/s only.
            progress?(IngestProgress(bytesRead: consumed, totalBytes: 0, rowsRead: rows.rowsRead))
        }
        return try rows.interactions(fileName: fileName)
    }
}

/// The window a stream is read into: `filled` bytes at `bytes`, refilled after what was parsed.
private struct StreamWindow {
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var filled = 0
    private var atEnd = false

    init(capacity: Int) {
        self.capacity = capacity
        bytes = .allocate(capacity: capacity)
    }

    func release() { bytes.deallocate() }

    /// Reads until the window is full or the stream ends; false once nothing is left.
    mutating func fill(from descriptor: Int32, fileName: String) throws -> Bool {
        while !atEnd && filled < capacity {
            let count = Glibc.read(descriptor, bytes + filled, capacity - filled)
            if count < 0 {
                if errno == EINTR { continue }
                throw EncoreError.io(path: fileName, reason: "cannot be read (\(String(cString: strerror(errno))))")
            }
            if count == 0 { atEnd = true } else { filled += count }
        }
        return filled > 0
    }

    /// Where the window's text is cut: after its last line break, or at its end once the stream
    /// has ended. Nil when a full window holds no line break: the window is doubled to take the
    /// line whole.
    mutating func cut() -> Int? {
        if atEnd { return filled }
        // The last line break is near the end: a short look back from there.
        var position = filled - 1
        while position >= 0 && bytes[position] != UInt8(ascii: "\n") { position -= 1 }
        if position >= 0 { return position + 1 }
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
        larger.update(from: bytes, count: filled)
        bytes.deallocate()
        bytes = larger
        capacity *= 2
        return nil
    }

    /// Moves the bytes after the first `count` to the front.
    mutating func drop(_ count: Int) {
        if count < filled { memmove(bytes, bytes + count, filled - count) }
        filled -= count
    }
}
