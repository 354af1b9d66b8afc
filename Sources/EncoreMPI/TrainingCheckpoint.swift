import Encore
import Foundation

/// The factors after a completed iteration, saved so a stopped job can resume where it was.
///
/// One file, `checkpoint.encore` in the checkpoint folder, replaced atomically each time: 8-byte
/// magic `ENCORECK`, UInt64 length of a JSON header, the header (job fingerprint, iteration, loss
/// history, shapes), the user then item factors (Float32, rows × k), and a UInt64 checksum of
/// everything before it. A partly written file never replaces a complete one.
package struct TrainingCheckpoint {
    /// What the checkpoint says about itself.
    struct Header: Codable {
        var fingerprint: String
        var iteration: Int
        var lossHistory: [Double]
        var users: Int
        var items: Int
        var factors: Int
    }

    /// Identifies the job: the same data file and hyperparameters (other than the number of
    /// iterations) give the same fingerprint, whatever the number of processes or the strategy.
    package let fingerprint: String
    /// Iterations completed.
    package let iteration: Int
    /// Objective after each completed iteration.
    package let lossHistory: [Double]
    /// Users × k, packed.
    package let userFactors: [Float]
    /// Items × k, packed.
    package let itemFactors: [Float]
    /// Latent dimension.
    package let factors: Int

    static let magic = Array("ENCORECK".utf8)

    /// The checkpoint file inside `directory`.
    package static func path(in directory: String) -> String { (directory as NSString).appendingPathComponent("checkpoint.encore") }

    /// A checkpoint from its parts.
    package init(fingerprint: String, iteration: Int, lossHistory: [Double], userFactors: [Float], itemFactors: [Float], factors: Int) {
        self.fingerprint = fingerprint
        self.iteration = iteration
        self.lossHistory = lossHistory
        self.userFactors = userFactors
        self.itemFactors = itemFactors
        self.factors = factors
    }

    /// The fingerprint of a job training `configuration` on the file at `dataPath`.
    package static func fingerprint(configuration: ALSConfiguration, dataPath: String, dataBytes: Int) throws -> String {
        var settings = configuration
        settings.iterations = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(settings), as: UTF8.self)
        return "\((dataPath as NSString).standardizingPath) (\(dataBytes) bytes) \(json)"
    }

    /// Writes the checkpoint into `directory` (created if missing), atomically.
    package func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let header = Header(fingerprint: fingerprint, iteration: iteration, lossHistory: lossHistory,
                            users: userFactors.count / factors, items: itemFactors.count / factors, factors: factors)
        let json = try JSONEncoder().encode(header)
        let file = try ChecksummedFileWriter(path: TrainingCheckpoint.path(in: directory))
        try TrainingCheckpoint.magic.withUnsafeBytes { try file.append($0) }
        try withUnsafeBytes(of: UInt64(json.count).littleEndian) { try file.append($0) }
        try json.withUnsafeBytes { try file.append($0) }
        try userFactors.withUnsafeBytes { try file.append($0) }
        try itemFactors.withUnsafeBytes { try file.append($0) }
        try file.commit()
    }

    /// Reads the checkpoint in `directory`; nil when there is none. A damaged file, or one left
    /// by a different job, is an error saying so.
    package static func read(from directory: String, expecting fingerprint: String) throws -> TrainingCheckpoint? {
        let path = TrainingCheckpoint.path(in: directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw EncoreError.io(path: path, reason: "cannot read the checkpoint") }
        let bytes = [UInt8](data)
        func damaged(_ reason: String) -> EncoreError {
            .io(path: path, reason: "damaged checkpoint (\(reason)); delete it to start over")
        }
        guard bytes.count >= 24, Array(bytes[0..<8]) == magic else { throw damaged("not an Encore checkpoint") }
        let stored = bytes[(bytes.count - 8)...].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        let computed = bytes[..<(bytes.count - 8)].withUnsafeBytes { Checksum.of($0) }
        guard stored == computed else { throw damaged("checksum mismatch") }
        // Compared as UInt64 first: a length of 2⁶³ or more does not fit an Int (fuzzing found the trap).
        let storedLength = bytes[8..<16].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard storedLength <= UInt64(bytes.count - 24) else { throw damaged("header runs past the end") }
        let headerLength = Int(storedLength)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + headerLength)]))
        } catch {
            throw damaged("its header cannot be decoded")
        }
        guard header.fingerprint == fingerprint else {
            throw EncoreError.invalidArgument("\(path) was written by a different job (\(header.fingerprint)); this job is \(fingerprint). Use another --checkpoint-dir or delete it")
        }
        // The header's shapes are checked before any arithmetic on them: negative, zero-width or
        // overflowing shapes are a damaged file, not a trap or a negative slice.
        let floatCount = (bytes.count - 24 - headerLength) / 4
        guard header.factors > 0, header.users >= 0, header.items >= 0, header.iteration >= 0,
              header.users <= floatCount / header.factors, header.items <= floatCount / header.factors
        else { throw damaged("impossible shapes: \(header.users) users, \(header.items) items, \(header.factors) factors, iteration \(header.iteration)") }
        let userCount = header.users * header.factors, itemCount = header.items * header.factors
        guard 16 + headerLength + 4 * (userCount + itemCount) == bytes.count - 8 else { throw damaged("factor sections have the wrong length") }
        // Copied rather than reinterpreted: the factors need not start on a 4-byte boundary.
        var floats = [Float](repeating: 0, count: userCount + itemCount)
        floats.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[(16 + headerLength)..<(bytes.count - 8)]))
            }
        }
        return TrainingCheckpoint(
            fingerprint: header.fingerprint, iteration: header.iteration, lossHistory: header.lossHistory,
            userFactors: Array(floats[0..<userCount]), itemFactors: Array(floats[userCount...]), factors: header.factors
        )
    }
}
