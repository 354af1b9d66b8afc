import Foundation

/// Float values set aside in an unlinked temporary file while their memory is needed, and read
/// back once it is not: the play counts of the users × items matrix, which training reads only
/// as confidences but the model keeps. Owns its file: it is gone when this is.
final class WeightSpill {
    private var descriptor: Int32
    /// How many values were set aside.
    let count: Int

    /// Writes `values` to a new file in `directory` (the system's temporary folder by default),
    /// unlinked at once so that nothing is left behind whatever happens to the process.
    init(_ values: [Float], directory: String = NSTemporaryDirectory()) throws {
        var template = Array(((directory as NSString).appendingPathComponent("encore-weights-XXXXXX")).utf8CString)
        descriptor = mkstemp(&template)
        let path = String(cString: template)
        guard descriptor >= 0 else { throw EncoreError.io(path: path, reason: "cannot create a temporary file (\(String(cString: strerror(errno))))") }
        unlink(path)
        count = values.count
        try values.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + done, min(bytes.count - done, 1 << 30))
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw EncoreError.io(path: path, reason: "cannot set the weights aside (\(String(cString: strerror(errno))))") }
                done += written
            }
        }
    }

    /// The values, read back.
    func read() throws -> [Float] {
        try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let bytes = UnsafeMutableRawBufferPointer(buffer)
            var done = 0
            while done < bytes.count {
                let got = pread(descriptor, bytes.baseAddress! + done, min(bytes.count - done, 1 << 30), off_t(done))
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { throw EncoreError.io(path: "the weights set aside", reason: "cannot be read back (\(String(cString: strerror(errno))))") }
                done += got
            }
            initialized = count
        }
    }

    deinit { close(descriptor) }
}
