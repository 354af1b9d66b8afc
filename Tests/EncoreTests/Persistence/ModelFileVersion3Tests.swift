import XCTest
@testable import Encore

/// Version 3 of the model file (written by earlier builds, still read): aligned sections that a
/// loaded model uses where they lie in the mapped file. The layout is checked by hand against docs/model-file.md, and damage that keeps
/// the checksum right (a file made wrong, not broken) is refused like the copying reader's.
final class ModelFileVersion3Tests: XCTestCase {
    func makeModel(seed: UInt64 = 9) throws -> TrainedModel {
        var data = try Interactions(triples: [("ann", "Björk", 3), ("ann", "Can", 1), ("bob", "Can", 7), ("cy", "Björk", 2), ("cy", "Low", 1)])
        data.itemNames = ["Björk Guðmundsdóttir", "", "Low (band)"]
        var configuration = ALSConfiguration()
        configuration.factors = 3
        configuration.seed = seed
        return try TrainedModel.train(data, configuration: configuration, threads: 1, source: "hand.tsv")
    }

    /// Reads a version 3 file by hand, following docs/model-file.md (not ModelFile's reader).
    struct Walker {
        let bytes: [UInt8]
        var offset = 24

        mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T {
            defer { offset += MemoryLayout<T>.size }
            return bytes[offset..<(offset + MemoryLayout<T>.size)].reversed().reduce(T(0)) { $0 << 8 | T($1) }
        }

        /// An array: its count, zeros to the next multiple of 64 (a file offset), the elements.
        mutating func array<T: FixedWidthInteger>(_ type: T.Type) -> [T] {
            let count = Int(integer(UInt64.self))
            while offset % 64 != 0 {
                XCTAssertEqual(bytes[offset], 0, "padding at \(offset)")
                offset += 1
            }
            return (0..<count).map { _ in integer(type) }
        }

        mutating func floats() -> [Float] { array(UInt32.self).map { Float(bitPattern: $0) } }

        mutating func strings() -> [String] {
            let offsets = array(UInt64.self).map { Int($0) }
            let blob = array(UInt8.self)
            return (0..<(offsets.count - 1)).map { String(decoding: blob[offsets[$0]..<offsets[$0 + 1]], as: UTF8.self) }
        }

        /// The section start of the next array's elements, without reading it.
        func elementsStart() -> Int { (offset + 8 + 63) / 64 * 64 }
    }

    /// FNV-1a, 64-bit, written out here from its definition.
    func fnv1a(_ string: String) -> UInt64 {
        string.utf8.reduce(0xCBF2_9CE4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }

    func testFileFollowsTheDocumentedLayoutWhateverTheBufferSize() throws {
        let model = try makeModel()
        let directory = try TestSupport.temporaryDirectory(self)
        let path = directory.appendingPathComponent("m.encore").path
        try ModelFile.write(model, to: path, version: 3)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var walker = Walker(bytes: bytes, offset: 8)
        XCTAssertEqual(walker.integer(UInt32.self), 3)
        XCTAssertEqual(walker.integer(UInt32.self), 0)
        XCTAssertEqual(Int(walker.integer(UInt64.self)), bytes.count - 32, "payload length")
        let headerLength = Int(walker.integer(UInt64.self))
        let header = try JSONSerialization.jsonObject(with: Data(bytes[walker.offset..<(walker.offset + headerLength)])) as? [String: Any]
        walker.offset += headerLength
        XCTAssertEqual(header?["users"] as? Int, 3)
        XCTAssertNil(header?["tags"], "no tags: no tags section")
        for expected in [["ann", "bob", "cy"], ["Björk", "Can", "Low"]] {
            XCTAssertEqual(walker.strings(), expected)
            // The hash table: 8 slots (a power of two, at least twice the IDs); each ID is in the
            // first slot from its FNV-1a hash on that is not taken by an ID before it.
            let slots = walker.array(UInt32.self)
            XCTAssertEqual(slots.count, 8)
            for (index, id) in expected.enumerated() {
                var slot = Int(fnv1a(id) & 7)
                while slots[slot] != UInt32(index + 1) {
                    XCTAssertNotEqual(slots[slot], 0, "\(id) not found")
                    slot = (slot + 1) & 7
                }
            }
            XCTAssertEqual(slots.filter { $0 != 0 }.sorted(), [1, 2, 3])
        }
        XCTAssertEqual(walker.strings(), ["Björk Guðmundsdóttir", "", "Low (band)"])
        // Factor rows padded to 16 values (a 64-byte line) with zeros, as in memory.
        for matrix in [model.factors.userFactors, model.factors.itemFactors] {
            XCTAssertEqual(walker.floats(), (0..<3).flatMap { matrix.rowArray($0) + [Float](repeating: 0, count: 13) })
        }
        XCTAssertEqual(walker.array(Int64.self), [0, 2, 3, 5])
        XCTAssertEqual(walker.array(UInt32.self), [0, 1, 1, 0, 2])
        XCTAssertEqual(walker.floats(), [3, 1, 7, 2, 1])
        XCTAssertEqual(walker.offset, bytes.count - 8)
        XCTAssertEqual(walker.integer(UInt64.self), bytes[..<(bytes.count - 8)].withUnsafeBytes { Checksum.of($0) })

        for capacity in [1, 7, 64, 100, bytes.count + 1] {
            let small = directory.appendingPathComponent("m\(capacity).encore").path
            try ModelFile.write(model, to: small, version: 3, bufferCapacity: capacity)
            XCTAssertTrue([UInt8](try Data(contentsOf: URL(fileURLWithPath: small))) == bytes, "buffer of \(capacity) bytes")
        }
    }

    func testLoadedModelSitsOnTheFileAndEqualsTheVersion1Copy() throws {
        let model = try makeModel()
        let directory = try TestSupport.temporaryDirectory(self)
        let mappedPath = directory.appendingPathComponent("v3.encore").path, copiedPath = directory.appendingPathComponent("v1.encore").path
        try ModelFile.write(model, to: mappedPath, version: 3)
        try ModelFile.write(model, to: copiedPath, version: 1)
        let mapped = try ModelFile.read(from: mappedPath), copied = try ModelFile.read(from: copiedPath)
        XCTAssertTrue(mapped.factors.userFactors.isMapped && mapped.factors.itemFactors.isMapped)
        XCTAssertTrue(mapped.interactions.indices.isMapped && mapped.interactions.values.isMapped && mapped.interactions.offsets.isMapped)
        XCTAssertFalse(copied.factors.itemFactors.isMapped || copied.interactions.indices.isMapped)
        for loaded in [mapped, copied] {
            XCTAssertEqual(loaded.userIDs, model.userIDs)
            XCTAssertEqual(loaded.itemIDs, model.itemIDs)
            XCTAssertEqual(loaded.itemNames, model.itemNames)
            XCTAssertEqual(loaded.interactions, model.interactions)
            XCTAssertEqual(loaded.configuration, model.configuration)
            XCTAssertEqual(loaded.summary, model.summary)
            XCTAssertEqual(loaded.factors.userFactors.packed(), model.factors.userFactors.packed())
            XCTAssertEqual(loaded.factors.itemFactors.packed(), model.factors.itemFactors.packed())
            XCTAssertEqual(TopNRecommendation.recommend(loaded, user: 2, count: 3, seen: loaded.interactions), TopNRecommendation.recommend(model, user: 2, count: 3, seen: model.interactions))
        }
        XCTAssertEqual(try mapped.userIndex("bob"), 1)
        XCTAssertEqual(try mapped.itemIndex("Low"), 2)
        XCTAssertNil(mapped.userIDs.index(of: "dee"))
        XCTAssertNil(mapped.userIDs.index(of: ""))
    }

    /// A thousand IDs in 2048 slots: collisions are probed past, every ID is found, and IDs that
    /// are not there (including prefixes of ones that are) are not.
    func testEveryIDOfALargeTableIsFound() throws {
        let users = (0..<1000).map { "user-\($0 * 7919 % 1000)" }
        let triples = users.enumerated().map { ($0.element, "item \($0.offset % 5)", Float(1)) }
        var configuration = ALSConfiguration()
        configuration.factors = 2
        configuration.iterations = 1
        let model = try TrainedModel.train(try Interactions(triples: triples), configuration: configuration, threads: 1)
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("m.encore").path
        try ModelFile.write(model, to: path, version: 3)
        let loaded = try ModelFile.read(from: path)
        for id in model.userIDs.ids { XCTAssertEqual(loaded.userIDs.index(of: id), model.userIDs.index(of: id), id) }
        for missing in ["user-", "user-1000", "user-99 ", "USER-1"] { XCTAssertNil(loaded.userIDs.index(of: missing), missing) }
        XCTAssertEqual(loaded.userIDs.ids, model.userIDs.ids)
    }

    /// `encore train` renames a new file over the old: a model loaded from the old one keeps
    /// its bytes (the mapping holds the old inode), and loading the path again gets the new one.
    func testRenamingANewModelOverTheFileLeavesTheLoadedOneIntact() throws {
        let first = try makeModel(seed: 1), second = try makeModel(seed: 2)
        XCTAssertNotEqual(first.factors.itemFactors.packed(), second.factors.itemFactors.packed())
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("m.encore").path
        try ModelFile.write(first, to: path, version: 3)
        let loaded = try ModelFile.read(from: path)
        try ModelFile.write(second, to: path, version: 3)
        XCTAssertEqual(loaded.factors.itemFactors.packed(), first.factors.itemFactors.packed())
        XCTAssertEqual(loaded.factors.userFactors.packed(), first.factors.userFactors.packed())
        XCTAssertEqual(loaded.interactions, first.interactions)
        XCTAssertEqual(try loaded.userIndex("cy"), 2)
        XCTAssertEqual(try ModelFile.read(from: path).factors.itemFactors.packed(), second.factors.itemFactors.packed())
    }

    /// A pipe cannot be mapped: it is read whole instead, and a directory is named as one.
    func testAModelReadFromAPipeLoadsAndADirectoryIsRefused() throws {
        let model = try makeModel()
        let directory = try TestSupport.temporaryDirectory(self)
        let path = directory.appendingPathComponent("m.encore").path, fifo = directory.appendingPathComponent("pipe").path
        try ModelFile.write(model, to: path, version: 3)
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let writer = Thread { try? bytes.write(to: URL(fileURLWithPath: fifo)) }
        writer.start()
        let loaded = try ModelFile.read(from: fifo)
        XCTAssertEqual(loaded.factors.itemFactors.packed(), model.factors.itemFactors.packed())
        XCTAssertEqual(loaded.interactions, model.interactions)
        XCTAssertEqual(try loaded.userIndex("cy"), 2)
        XCTAssertThrowsError(try ModelFile.read(from: directory.path)) { error in
            XCTAssertTrue("\(error)".contains("is a directory"), "\(error)")
        }
    }

    // MARK: damage

    /// `bytes` with its checksum made right again: damage that only a writer could make.
    func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var result = bytes
        let sum = bytes[..<(bytes.count - 8)].withUnsafeBytes { Checksum.of($0) }
        withUnsafeBytes(of: sum.littleEndian) { result.replaceSubrange((bytes.count - 8)..., with: $0) }
        return result
    }

    func expectRefused(_ bytes: [UInt8], containing phrase: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("damaged.encore").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ModelFile.read(from: path), file: file, line: line) { error in
            guard case let EncoreError.invalidModelFile(named, reason) = error else { return XCTFail("not invalidModelFile: \(error)", file: file, line: line) }
            XCTAssertEqual(named, path, file: file, line: line)
            XCTAssertTrue(reason.contains(phrase), reason, file: file, line: line)
        }
    }

    func originalFile() throws -> [UInt8] {
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("m.encore").path
        try ModelFile.write(try makeModel(), to: path, version: 3)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A walker standing just after the header.
    func afterHeader(_ bytes: [UInt8]) -> Walker {
        var walker = Walker(bytes: bytes)
        let headerLength = Int(walker.integer(UInt64.self))
        walker.offset += headerLength
        return walker
    }

    func put<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + MemoryLayout<T>.size), with: $0) }
    }

    func testCutsAndFlipsAreDetected() throws {
        let original = try originalFile()
        for cut in [8, 24, 31, 64, 100, original.count / 2, original.count - 9, original.count - 1] {
            try expectRefused(Array(original.prefix(cut)), containing: "truncated")
        }
        for position in stride(from: 24, to: original.count - 8, by: 13) {
            var flipped = original
            flipped[position] ^= 0x10
            try expectRefused(flipped, containing: "checksum")
        }
    }

    func testStringTableWhoseOffsetsRunPastTheBlobIsRefused() throws {
        var bytes = try originalFile()
        let walker = afterHeader(bytes)
        put(UInt64(100), at: walker.elementsStart() + 8, in: &bytes)  // ann, bob, cy: 0, 3, 6, 8 → 0, 100, 6, 8
        try expectRefused(resealed(bytes), containing: "string table is malformed")
    }

    func testHashTableOfTheWrongSizeIsRefused() throws {
        var bytes = try originalFile()
        var walker = afterHeader(bytes)
        _ = walker.strings()
        XCTAssertEqual(walker.integer(UInt64.self), 8)
        put(UInt64(7), at: walker.offset - 8, in: &bytes)
        try expectRefused(resealed(bytes), containing: "hash table")
    }

    func testColumnOutOfRangeAndOverflowingShapesAreRefused() throws {
        let original = try originalFile()
        var walker = afterHeader(original)
        for _ in 0..<2 { _ = walker.strings(); _ = walker.array(UInt32.self) }
        _ = walker.strings()
        _ = walker.floats()
        _ = walker.floats()
        _ = walker.array(Int64.self)
        var bytes = original
        put(UInt32(3), at: walker.elementsStart() + 8, in: &bytes)  // [0, 1, 1, 0, 2]: bob's only item, Can (1), becomes 3 of 3 items
        try expectRefused(resealed(bytes), containing: "CSR row 1")

        // The header is the one section not aligned: the arrays after it must stay where they
        // are, so it is rewritten at its own length, made room in by emptying two strings and
        // padded with spaces (still JSON).
        let headerLength = Int(original[24..<32].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(original[32..<(32 + headerLength)])) as? [String: Any])
        var summary = try XCTUnwrap(header["summary"] as? [String: Any])
        summary["source"] = ""
        summary["createdAt"] = ""
        for (key, value, phrase) in [("users", 4_611_686_018_427_387_904, "factor matrix"), ("users", -1, "inconsistent"),
                                     ("factors", Int.max, "factor matrix has \(Int.max) columns"), ("factors", -3, "inconsistent")] {
            var changed = header
            changed["summary"] = summary
            changed[key] = value
            let json = [UInt8](try JSONSerialization.data(withJSONObject: changed, options: .sortedKeys))
            XCTAssertLessThanOrEqual(json.count, headerLength)
            var bytes = original
            bytes.replaceSubrange(32..<(32 + headerLength), with: json + [UInt8](repeating: 0x20, count: headerLength - json.count))
            try expectRefused(resealed(bytes), containing: phrase)
        }
    }
}
