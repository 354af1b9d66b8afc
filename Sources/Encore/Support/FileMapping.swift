import Foundation

/// A whole file mapped read-only into memory, unmapped when the last value that uses it goes.
///
/// Matrices and ID tables loaded from a version 3 model file sit on the mapping instead of
/// copies of it, and keep it alive (`DenseMatrix`, `MappableArray`, `MappedStringTable`). The
/// mapping holds the file's inode, not its name: a newer model renamed over the path (as every
/// `encore train` writes) leaves the old bytes mapped and valid until the last user lets go.
/// A file cut short *in place* while mapped would fault on the lost pages: Encore never writes a
/// model in place, and neither should anything else.
package final class FileMapping: @unchecked Sendable {
    /// The file's bytes: read-only, page-aligned at the start.
    package let bytes: UnsafeRawBufferPointer

    /// Maps `path`; a missing, unreadable or unmappable file is an `io` error naming it.
    package init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw EncoreError.io(path: path, reason: FileMapping.reason(errno)) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw EncoreError.io(path: path, reason: FileMapping.reason(errno)) }
        guard (status.st_mode & S_IFMT) != S_IFDIR else { throw EncoreError.io(path: path, reason: "is a directory, not a file") }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            // A pipe or a device (`<(cat model)`, /dev/stdin) cannot be mapped: read it whole.
            bytes = try FileMapping.readAll(descriptor, path: path)
            isMapped = false
            return
        }
        isMapped = true
        let length = Int(status.st_size)
        guard length > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        // MAP_PRIVATE: the file's later fate (a rename over it) never shows through, and nothing
        // written here could reach the file. The descriptor can close at once; the mapping stays.
        guard let base = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            throw EncoreError.io(path: path, reason: "cannot be mapped into memory (\(FileMapping.reason(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: length)
    }

    /// False for bytes read from a pipe or device into memory of the mapping's own.
    package let isMapped: Bool

    /// Lets the pages wholly inside `range` go from this process's memory (they stay valid and
    /// are read from the file again if touched): a reader that goes through a large file once
    /// (an index file, 4 GB at 12 M items) need not hold all of it at the end. Nothing for bytes
    /// that are not a mapping.
    package func release(_ range: Range<Int>) {
        guard isMapped, let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound + page - 1) / page * page, end = range.upperBound / page * page
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if isMapped { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) } else { base.deallocate() }
    }

    /// Everything `descriptor` gives until its end, in memory aligned as a mapping's start is.
    private static func readAll(_ descriptor: Int32, path: String) throws -> UnsafeRawBufferPointer {
        var capacity = 1 << 20, count = 0
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 4096)
        while true {
            if count == capacity {
                let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 4096)
                larger.copyMemory(from: buffer, byteCount: count)
                buffer.deallocate()
                buffer = larger
                capacity *= 2
            }
            let got = read(descriptor, buffer + count, capacity - count)
            if got == 0 { break }
            if got < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                buffer.deallocate()
                throw EncoreError.io(path: path, reason: "cannot be read (\(reason))")
            }
            count += got
        }
        return UnsafeRawBufferPointer(start: buffer, count: count)
    }

    private static func reason(_ code: Int32) -> String {
        code == ENOENT ? "no such file" : code == EISDIR ? "is a directory, not a file" : String(cString: strerror(code))
    }
}
