import Encore
import Foundation

/// Bulk text output (recommend-all, recommend-items): what a command appends is gathered and
/// written a megabyte at a time, to a file written atomically or to stdout.
struct BulkTextOutput {
    /// Past this many bytes the gathered text is written out.
    static let flushBytes = 1 << 20

    private var sink: TextSink
    private var buffer = ""

    private init(sink: TextSink) { self.sink = sink }

    /// Runs `produce`, which appends the output a record at a time, and writes it to the file at
    /// `path` (stdout when nil). The file appears only when `produce` returns and every write
    /// succeeded; on any error it is abandoned, so a failure never leaves a partial file.
    static func write(to path: String?, _ produce: (inout BulkTextOutput) throws -> Void) throws {
        var output = BulkTextOutput(sink: try TextSink(path: path))
        do {
            try produce(&output)
            try output.sink.write(output.buffer)
            try output.sink.finish()
        } catch {
            output.sink.abandon()
            throw error
        }
    }

    /// Appends text; nothing is written until `endRecord`.
    mutating func append(_ text: String) { buffer += text }

    /// Marks the end of a record: the gathered text is written out once it passes `flushBytes`.
    mutating func endRecord() throws {
        if buffer.utf8.count > BulkTextOutput.flushBytes {
            try sink.write(buffer)
            buffer = ""
        }
    }
}

/// Where bulk text output goes: an atomically written file, or stdout.
struct TextSink {
    private var file: AtomicFileWriter?

    init(path: String?) throws { file = try path.map { try AtomicFileWriter(path: $0) } }

    mutating func write(_ text: String) throws {
        if file != nil { try file!.write(text) } else { FileHandle.standardOutput.write(Data(text.utf8)) }
    }

    mutating func finish() throws { try file?.commit() }

    mutating func abandon() { file?.abandon() }
}
