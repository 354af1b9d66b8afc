import Foundation

/// The index file beside a model (`MODEL.index`), written atomically.
///
/// Layout (little-endian): 8-byte magic `ENCOREIX`, UInt32 format version, UInt32 zero, then
/// sections of a UInt64 length and its bytes: the JSON `ApproximateIndex.Header` (which model
/// it belongs to, by the checksum at the end of the model file, and what it measured), the
/// similar-items index's members (Int32 item indices), FAISS's serialized recommendation index
/// and similar-items index; then a UInt64 checksum of everything before it.
package enum ApproximateIndexFile {
    /// The first eight bytes of every index file.
    package static let magic = Array("ENCOREIX".utf8)
    /// The format version this build writes and reads.
    package static let formatVersion: UInt32 = 1

    /// Writes `index` to `path` atomically. FAISS's indexes go straight to the file, each after
    /// its length (counted by a first pass that writes nothing): serializing them in memory first
    /// would hold one more copy of the index (4 GB at 10 M items).
    package static func write(_ index: ApproximateIndex, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = try encoder.encode(index.header)
        let file = try ChecksummedFileWriter(path: path)
        var sink = file
        try magic.withUnsafeBytes { try sink.append($0) }
        try sink.append(formatVersion)
        try sink.append(UInt32(0))
        try sink.appendBlob(header)
        try sink.append(UInt64(index.similarMembers.count * 4))
        try index.similarMembers.withUnsafeBytes { try sink.append($0) }
        for faiss in [index.recommendIndex, index.similarIndex] {
            let length = try faiss.serializedLength()
            try sink.append(UInt64(length))
            let written = try faiss.write { try sink.append($0) }
            guard written == length else { throw EncoreError.invalidArgument("\(path): FAISS wrote \(written) bytes of an index it had measured at \(length); nothing was written") }
        }
        try file.commit()
    }

    /// Reads the index at `path` and checks that it belongs to `model`, whose file's checksum
    /// is `modelChecksum`: a damaged file, or one built from another model (or an older state of
    /// this one), is refused with an error that says so and how to rebuild it.
    package static func read(from path: String, for model: TrainedModel, modelChecksum: UInt64) throws -> ApproximateIndex {
        // Mapped, and read once front to back: the checksum and FAISS's reading let the pages go
        // behind them, so the file (4 GB at 12 M items) is not held in memory beside the index.
        let mapping = try FileMapping(path: path)
        func invalid(_ reason: String) -> EncoreError { .invalidArgument("\(path): not a usable index: \(reason)") }
        do {
            let bytes = mapping.bytes
            guard bytes.count >= 8, Array(bytes[0..<8]) == magic else { throw invalid("it does not start with the Encore index signature") }
            guard bytes.count >= 24 else { throw invalid("it is truncated (\(bytes.count) bytes)") }
            let version = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            guard version == formatVersion else { throw invalid("it has format version \(version); this Encore reads version \(formatVersion)") }
            let checked = bytes.count - 8
            var checksum = Checksum.Accumulator()
            for start in stride(from: 0, to: checked, by: 64 << 20) {
                checksum.add(UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + (64 << 20), checked)]))
                mapping.release(start..<min(start + (64 << 20), checked))
            }
            guard checksum.value == bytes.loadUnaligned(fromByteOffset: checked, as: UInt64.self) else {
                throw invalid("its checksum does not match (the file is damaged); rebuild it with encore index")
            }
            var cursor = SectionCursor(bytes: UnsafeRawBufferPointer(rebasing: bytes[16..<checked]))
            guard let headerBytes = cursor.next(), let header = try? JSONDecoder().decode(ApproximateIndex.Header.self, from: Data(headerBytes)),
                  let memberBytes = cursor.next(), memberBytes.count % 4 == 0,
                  let recommendBytes = cursor.next(), let similarBytes = cursor.next(), cursor.atEnd
            else { throw invalid("its sections are inconsistent") }
            guard header.modelChecksum == modelChecksum, header.items == model.itemCount, header.factors == model.factors.factors else {
                throw invalid("it was built from another model (or an earlier version of this one: it holds \(header.items) items of rank \(header.factors) and model checksum \(String(header.modelChecksum, radix: 16)), the model \(model.itemCount) items of rank \(model.factors.factors) and checksum \(String(modelChecksum, radix: 16))); rebuild it with encore index, or use --exact")
            }
            let members = memberBytes.count / 4
            let similarMembers = (0..<members).map { memberBytes.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) }
            guard similarMembers.allSatisfy({ $0 >= 0 && Int($0) < model.itemCount }) else { throw invalid("its member list names items the model does not have") }
            let recommend = try FAISSIndex(serialized: recommendBytes, description: header.settings.description, releasingMappedPages: mapping.isMapped)
            let similar = try FAISSIndex(serialized: similarBytes, description: header.settings.description, releasingMappedPages: mapping.isMapped)
            guard recommend.count == model.itemCount, similar.count == members,
                  recommend.dimension == header.factors, similar.dimension == header.factors
            else { throw invalid("its FAISS indexes do not hold the model's items") }
            return ApproximateIndex(header: header, recommendIndex: recommend, similarIndex: similar, similarMembers: similarMembers,
                                    recommendLengths: ApproximateIndex.ListLengths(recommend))
        }
    }
}

/// Walks sections of a UInt64 length and that many bytes; nil when one runs past the end.
private struct SectionCursor {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    var atEnd: Bool { offset == bytes.count }

    mutating func next() -> UnsafeRawBufferPointer? {
        guard bytes.count - offset >= 8 else { return nil }
        let length = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        guard length <= UInt64(bytes.count - offset - 8) else { return nil }
        let start = offset + 8
        offset = start + Int(length)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
    }
}
