import Foundation

/// Writes a file so that readers see either the old content or the complete new content,
/// never a mix, whenever the process is stopped (SIGKILL or power loss included): the bytes go
/// to a temporary file beside the target, are flushed to disk, the temporary file is renamed
/// over the target and the folder is flushed so the rename itself is durable. On failure (a
/// full disk, say) the target is untouched, the temporary file is removed and the error names
/// the target.
///
/// The temporary file is `.NAME.encore-tmp-PID-RANDOM` in the target's folder. A process killed
/// before it renames leaves one behind (nothing can run at SIGKILL); the next writer of the same
/// target removes those whose process is gone.
package struct AtomicFileWriter {
    /// Final path.
    package let path: String
    /// The temporary file the bytes go to until `commit()`.
    package let temporaryPath: String
    private var descriptor: Int32

    /// The prefix of the temporary files of `path`'s writers.
    static func temporaryPrefix(of path: String) -> String { ".\(URL(fileURLWithPath: path).lastPathComponent).encore-tmp-" }

    /// Opens a temporary file beside `path`, after removing stale ones (see the type's comment).
    package init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        AtomicFileWriter.removeStaleTemporaries(of: path)
        temporaryPath = (folder as NSString).appendingPathComponent(
            "\(AtomicFileWriter.temporaryPrefix(of: path))\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))")
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw EncoreError.io(path: path, reason: "cannot create a file in its folder (\(String(cString: strerror(errno))))")
        }
    }

    /// Removes the temporary files of `path` left by writers that were killed: those whose
    /// process id names no running process. Returns how many it removed.
    @discardableResult
    package static func removeStaleTemporaries(of path: String) -> Int {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let prefix = temporaryPrefix(of: path)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return 0 }
        var removed = 0
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0 else { continue }
            // ESRCH: no such process. A live process (ours or another's) keeps its file.
            if kill(pid, 0) != 0 && errno == ESRCH {
                if unlink((folder as NSString).appendingPathComponent(name)) == 0 { removed += 1 }
            }
        }
        return removed
    }

    /// Appends bytes.
    package mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard descriptor >= 0 else { throw EncoreError.io(path: path, reason: "the file was already closed") }
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                abandon()
                throw EncoreError.io(path: path, reason: "write failed (\(reason)); the previous file, if any, is unchanged")
            }
            offset += written
        }
    }

    /// Appends a string as UTF-8.
    package mutating func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Flushes, renames the temporary file over the target and flushes the folder.
    package mutating func commit() throws {
        guard descriptor >= 0 else { throw EncoreError.io(path: path, reason: "the file was already closed") }
        if fsync(descriptor) != 0 {
            let reason = String(cString: strerror(errno))
            abandon()
            throw EncoreError.io(path: path, reason: "flushing to disk failed (\(reason)); the previous file, if any, is unchanged")
        }
        let closed = close(descriptor)
        descriptor = -1
        if closed != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw EncoreError.io(path: path, reason: "flushing to disk failed (\(reason)); the previous file, if any, is unchanged")
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw EncoreError.io(path: path, reason: "cannot replace the file (\(reason))")
        }
        // The rename is in the folder's data: without this a power cut could undo it.
        let folder = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }

    /// Closes and deletes the temporary file, leaving the target as it was.
    package mutating func abandon() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(temporaryPath)
    }
}
