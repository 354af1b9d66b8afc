import Foundation

/// Writes a file so that readers see either the old content or the complete new content,
/// never a mix: the bytes go to a temporary file beside the target, are flushed to disk, and
/// the temporary file is renamed over the target. On failure the target is untouched and the
/// temporary file is removed.
package struct AtomicFileWriter {
    /// Final path.
    package let path: String
    private let temporaryPath: String
    private var descriptor: Int32

    /// Opens a temporary file beside `path`.
    package init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporaryPath = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw EncoreError.io(path: path, reason: "cannot create a file in its folder (\(String(cString: strerror(errno))))")
        }
    }

    /// Appends bytes.
    package mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                abandon()
                throw EncoreError.io(path: path, reason: "write failed (\(reason))")
            }
            offset += written
        }
    }

    /// Appends a string as UTF-8.
    package mutating func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Flushes and renames the temporary file over the target.
    package mutating func commit() throws {
        guard descriptor >= 0 else { throw EncoreError.io(path: path, reason: "the file was already closed") }
        if fsync(descriptor) != 0 || close(descriptor) != 0 {
            let reason = String(cString: strerror(errno))
            descriptor = -1
            unlink(temporaryPath)
            throw EncoreError.io(path: path, reason: "flushing to disk failed (\(reason))")
        }
        descriptor = -1
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw EncoreError.io(path: path, reason: "cannot replace the file (\(reason))")
        }
    }

    /// Closes and deletes the temporary file, leaving the target as it was.
    package mutating func abandon() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(temporaryPath)
    }
}
