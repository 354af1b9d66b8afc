import Foundation

/// The factors after a completed iteration, saved so a stopped job can resume where it was.
///
/// One file, `checkpoint.encore` in the checkpoint folder, replaced atomically each time: 8-byte
/// magic `ENCORECK`, UInt64 length of a JSON header, the header (job fingerprint, iteration, loss
/// history, shapes), the user then item factors (Float32, rows × k), and a UInt64 checksum of
/// everything before it. A partly written file never replaces a complete one.
///
/// `encore train` and `encore-mpi train` read and write it alike (same fingerprint, plain
/// factors), so either can resume the other's job. `encore train` also saves the state its
/// training keeps between iterations, for a resume bit for bit equal to a run never stopped:
/// each side's vectors in the eigenbasis they were last solved in, and that basis
/// (`TurnedFactors`). They follow the item factors — for each side whose header flag
/// `userBasis` / `itemBasis` is true, the vectors (Float32, rows × k) then the basis (Float64,
/// k × k) — and a reader that ignores them resumes from the plain factors. Without them (as
/// `encore-mpi` writes) the header has no such keys: the bytes are those of the first format.
package struct TrainingCheckpoint {
    /// What the checkpoint says about itself.
    struct Header: Codable {
        var fingerprint: String
        var iteration: Int
        var lossHistory: [Double]
        var users: Int
        var items: Int
        var factors: Int
        var userBasis: Bool?
        var itemBasis: Bool?
        var dataChecksum: String?
    }

    /// One side's training state: its vectors in `basis` (factors = vectors · basisᵀ).
    package struct TurnedState: Equatable {
        /// Rows × k, packed.
        package var vectors: [Float]
        /// Q, k × k, row-major.
        package var basis: [Double]

        /// A state from its parts.
        package init(vectors: [Float], basis: [Double]) {
            self.vectors = vectors
            self.basis = basis
        }
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
    /// The users' training state when it is not the plain factors (nil: it is, or unknown).
    package var turnedUsers: TurnedState?
    /// The items' training state (as `turnedUsers`).
    package var turnedItems: TurnedState?
    /// The checksum of the data file's bytes, when the writer computed it (`encore train`
    /// does; `encore-mpi`, whose processes each read a part, does not): the fingerprint knows
    /// the file only by path and size, so this tells a rewritten file of the same size.
    package var dataChecksum: UInt64?

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

    /// The checksum of the bytes of the file at `path` (see `dataChecksum`).
    package static func dataChecksum(of path: String) throws -> UInt64 {
        try FileContents.load(path).withUnsafeBytes { Checksum.of($0) }
    }

    /// Writes the checkpoint into `directory` (created if missing), atomically.
    package func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let header = Header(fingerprint: fingerprint, iteration: iteration, lossHistory: lossHistory,
                            users: userFactors.count / factors, items: itemFactors.count / factors, factors: factors,
                            userBasis: turnedUsers.map { _ in true }, itemBasis: turnedItems.map { _ in true },
                            dataChecksum: dataChecksum.map { String($0, radix: 16) })
        let json = try JSONEncoder().encode(header)
        let file = try ChecksummedFileWriter(path: TrainingCheckpoint.path(in: directory))
        try TrainingCheckpoint.magic.withUnsafeBytes { try file.append($0) }
        try withUnsafeBytes(of: UInt64(json.count).littleEndian) { try file.append($0) }
        try json.withUnsafeBytes { try file.append($0) }
        try userFactors.withUnsafeBytes { try file.append($0) }
        try itemFactors.withUnsafeBytes { try file.append($0) }
        for state in [turnedUsers, turnedItems] {
            guard let state else { continue }
            try state.vectors.withUnsafeBytes { try file.append($0) }
            try state.basis.withUnsafeBytes { try file.append($0) }
        }
        try file.commit()
    }

    /// Reads the checkpoint in `directory`; nil when there is none. A damaged file, or one left
    /// by a different job, is an error saying so; with `dataChecksum`, so is one whose data file
    /// had other contents (when it recorded them).
    package static func read(from directory: String, expecting fingerprint: String, dataChecksum: UInt64? = nil) throws -> TrainingCheckpoint? {
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
        if let dataChecksum, let stored = header.dataChecksum, stored != String(dataChecksum, radix: 16) {
            throw EncoreError.invalidArgument("\(path) was written by a different job: its data file had other contents (same path and size, checksum \(stored); now \(String(dataChecksum, radix: 16))). Use another --checkpoint-dir or delete it")
        }
        // The header's shapes are checked before any arithmetic on them: negative, zero-width or
        // overflowing shapes are a damaged file, not a trap or a negative slice.
        guard header.users >= 0, header.items >= 0, header.iteration >= 0, header.factors >= 1, header.factors <= 1 << 16,
              header.users <= Int.max / 64 / header.factors, header.items <= Int.max / 64 / header.factors else { throw damaged("impossible shapes") }
        let userCount = header.users * header.factors, itemCount = header.items * header.factors, basisCount = header.factors * header.factors
        let turnedLength = (header.userBasis == true ? 4 * userCount + 8 * basisCount : 0) + (header.itemBasis == true ? 4 * itemCount + 8 * basisCount : 0)
        guard 16 + headerLength + 4 * (userCount + itemCount) + turnedLength == bytes.count - 8 else { throw damaged("factor sections have the wrong length") }
        // Copied rather than reinterpreted: the sections need not start on an aligned boundary.
        var offset = 16 + headerLength
        func take<T>(_ count: Int, of _: T.Type) -> [T] where T: BinaryFloatingPoint {
            var values = [T](repeating: 0, count: count)
            values.withUnsafeMutableBytes { target in
                bytes.withUnsafeBytes { source in
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + target.count)]))
                }
            }
            offset += count * MemoryLayout<T>.stride
            return values
        }
        var checkpoint = TrainingCheckpoint(
            fingerprint: header.fingerprint, iteration: header.iteration, lossHistory: header.lossHistory,
            userFactors: take(userCount, of: Float.self), itemFactors: take(itemCount, of: Float.self), factors: header.factors
        )
        if header.userBasis == true { checkpoint.turnedUsers = TurnedState(vectors: take(userCount, of: Float.self), basis: take(basisCount, of: Double.self)) }
        checkpoint.dataChecksum = header.dataChecksum.flatMap { UInt64($0, radix: 16) }
        if header.itemBasis == true { checkpoint.turnedItems = TurnedState(vectors: take(itemCount, of: Float.self), basis: take(basisCount, of: Double.self)) }
        return checkpoint
    }
}

/// Where and how often to save checkpoints.
package struct CheckpointSettings: Sendable {
    /// The folder holding `checkpoint.encore`.
    package var directory: String
    /// Save after every this many iterations.
    package var every: Int
    /// Identifies the job, so a checkpoint of another job is never resumed.
    package var fingerprint: String
    /// The checksum of the data file's bytes (see `TrainingCheckpoint.dataChecksum`), or nil.
    package var dataChecksum: UInt64?

    /// Settings for a job identified by `fingerprint` (and `dataChecksum`).
    package init(directory: String, every: Int, fingerprint: String, dataChecksum: UInt64? = nil) {
        self.directory = directory
        self.every = every
        self.fingerprint = fingerprint
        self.dataChecksum = dataChecksum
    }
}
