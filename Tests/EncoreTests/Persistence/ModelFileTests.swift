import XCTest
@testable import Encore

/// The model file: round trip, and every kind of damage detected.
final class ModelFileTests: XCTestCase {
    func makeModel() throws -> TrainedModel {
        var data = try Interactions(triples: [("ann", "Björk", 3), ("ann", "Can", 1), ("bob", "Can", 7), ("cy", "Björk", 2), ("cy", "Low", 1)])
        data.itemNames = ["Björk Guðmundsdóttir", "", "Low (band)"]
        var configuration = ALSConfiguration()
        configuration.factors = 3
        configuration.confidence = .log
        configuration.seed = 9
        return try TrainedModel.train(data, configuration: configuration, threads: 1, source: "hand.tsv")
    }

    func testRoundTripKeepsEverything() throws {
        let model = try makeModel()
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("m.encore").path
        try ModelFile.write(model, to: path)
        let loaded = try ModelFile.read(from: path)
        XCTAssertEqual(loaded.configuration, model.configuration)
        XCTAssertEqual(loaded.userIDs, model.userIDs)
        XCTAssertEqual(loaded.itemIDs, model.itemIDs)
        XCTAssertEqual(loaded.itemNames, model.itemNames)
        XCTAssertEqual(loaded.interactions, model.interactions)
        XCTAssertEqual(loaded.summary, model.summary)
        XCTAssertEqual(DenseReference.rows(loaded.factors.userFactors), DenseReference.rows(model.factors.userFactors))
        XCTAssertEqual(DenseReference.rows(loaded.factors.itemFactors), DenseReference.rows(model.factors.itemFactors))
        XCTAssertEqual(loaded.interactions.value(row: try loaded.userIndex("bob"), column: try loaded.itemIndex("Can")), 7)
    }

    func testTruncationBitFlipsAndForeignFilesAreDetected() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let path = directory.appendingPathComponent("m.encore").path
        try ModelFile.write(try makeModel(), to: path)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let damaged = directory.appendingPathComponent("damaged.encore").path

        func expectInvalid(_ bytes: Data, containing phrase: String, _ message: String) throws {
            try bytes.write(to: URL(fileURLWithPath: damaged))
            XCTAssertThrowsError(try ModelFile.read(from: damaged), message) { error in
                guard case let .invalidModelFile(file, reason)? = error as? EncoreError else { return XCTFail("\(message): \(error)") }
                XCTAssertEqual(file, damaged)
                XCTAssertTrue(reason.contains(phrase), "\(message): \(reason)")
            }
        }
        for cut in [0, 5, 30, original.count / 2, original.count - 1] {
            try expectInvalid(original.prefix(cut), containing: cut < 8 ? "signature" : "truncated", "cut at \(cut)")
        }
        var random = RandomSource(seed: 3)
        for _ in 0..<40 {
            var flipped = original
            let position = 24 + Int(random.nextUniform() * Double(original.count - 24))
            flipped[position] ^= UInt8(1 << Int(random.nextUniform() * 8))
            // Version 4 ends in its chunk table's length (8 bytes) and the table's checksum (8):
            // a flipped length no longer adds up to the file's size.
            let inTableLength = (original.count - 16)..<(original.count - 8)
            try expectInvalid(flipped, containing: inTableLength.contains(position) ? "chunk table's length" : "checksum", "bit flip at \(position)")
        }
        try expectInvalid(Data("user\titem\tweight\n1\t2\t3\n".utf8), containing: "signature", "a TSV file")
        var newer = original
        newer[8] = 99
        try expectInvalid(newer, containing: "format version 99", "a newer version")
    }

    /// Version 1, which this build writes only when asked (older builds read it).
    func testVersion1FileFollowsTheDocumentedLayoutWhateverTheBufferSize() throws {
        let model = try makeModel()
        let directory = try TestSupport.temporaryDirectory(self)
        let path = directory.appendingPathComponent("m.encore").path
        try ModelFile.write(model, to: path, version: 1)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))

        // Read back by hand, following docs/model-file.md rather than ModelFile.read.
        var offset = 0
        func integer<T: FixedWidthInteger>(_: T.Type) -> T {
            defer { offset += MemoryLayout<T>.size }
            return bytes[offset..<(offset + MemoryLayout<T>.size)].reversed().reduce(T(0)) { $0 << 8 | T($1) }
        }
        func strings() -> [String] {
            let offsets = (0..<Int(integer(UInt64.self))).map { _ in Int(integer(UInt64.self)) }
            let blobLength = Int(integer(UInt64.self))
            let blob = Array(bytes[offset..<(offset + blobLength)])
            offset += blobLength
            return (0..<(offsets.count - 1)).map { String(decoding: blob[offsets[$0]..<offsets[$0 + 1]], as: UTF8.self) }
        }
        func floats(_ count: Int) -> [Float] { (0..<count).map { _ in Float(bitPattern: integer(UInt32.self)) } }
        XCTAssertEqual(Array(bytes[0..<8]), Array("ENCOREMF".utf8))
        offset = 8
        XCTAssertEqual(integer(UInt32.self), 1)
        XCTAssertEqual(integer(UInt32.self), 0)
        XCTAssertEqual(Int(integer(UInt64.self)), bytes.count - 32, "payload length")
        let headerLength = Int(integer(UInt64.self))
        let header = try JSONSerialization.jsonObject(with: Data(bytes[offset..<(offset + headerLength)])) as? [String: Any]
        offset += headerLength
        XCTAssertEqual(header?["users"] as? Int, 3)
        XCTAssertEqual(header?["hasItemNames"] as? Bool, true)
        XCTAssertEqual(strings(), ["ann", "bob", "cy"])
        XCTAssertEqual(strings(), ["Björk", "Can", "Low"])
        XCTAssertEqual(strings(), ["Björk Guðmundsdóttir", "", "Low (band)"])
        XCTAssertEqual(Int(integer(UInt64.self)), 9)
        XCTAssertEqual(floats(9), model.factors.userFactors.rowArray(0) + model.factors.userFactors.rowArray(1) + model.factors.userFactors.rowArray(2))
        XCTAssertEqual(Int(integer(UInt64.self)), 9)
        XCTAssertEqual(floats(9), model.factors.itemFactors.rowArray(0) + model.factors.itemFactors.rowArray(1) + model.factors.itemFactors.rowArray(2))
        XCTAssertEqual(Int(integer(UInt64.self)), 4)
        XCTAssertEqual((0..<4).map { _ in integer(Int64.self) }, [0, 2, 3, 5])
        XCTAssertEqual(Int(integer(UInt64.self)), 5)
        XCTAssertEqual((0..<5).map { _ in integer(UInt32.self) }, [0, 1, 1, 0, 2])
        XCTAssertEqual(Int(integer(UInt64.self)), 5)
        XCTAssertEqual(floats(5), [3, 1, 7, 2, 1])
        XCTAssertEqual(offset, bytes.count - 8)
        XCTAssertEqual(integer(UInt64.self), bytes[..<(bytes.count - 8)].withUnsafeBytes { Checksum.of($0) })

        // The buffer only decides when bytes reach the file, never which bytes.
        for capacity in [1, 7, 32, 100, bytes.count + 1] {
            let small = directory.appendingPathComponent("m\(capacity).encore").path
            try ModelFile.write(model, to: small, version: 1, bufferCapacity: capacity)
            XCTAssertTrue([UInt8](try Data(contentsOf: URL(fileURLWithPath: small))) == bytes, "buffer of \(capacity) bytes")
        }
    }

    func testChecksumOfPiecesEqualsChecksumOfTheWhole() {
        var random = RandomSource(seed: 5)
        let bytes = (0..<1000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        bytes.withUnsafeBytes { whole in
            XCTAssertNotEqual(Checksum.of(whole), Checksum.of(UnsafeRawBufferPointer(rebasing: whole[0..<999])))
            for _ in 0..<50 {
                var accumulator = Checksum.Accumulator()
                var start = 0
                while start < whole.count {
                    let end = min(whole.count, start + Int(random.next() % 70))
                    accumulator.add(UnsafeRawBufferPointer(rebasing: whole[start..<end]))
                    start = end
                }
                XCTAssertEqual(accumulator.value, Checksum.of(whole))
            }
        }
    }

    func testFailedWriteLeavesTheOldFileIntactAndNoTemporaryFiles() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let path = directory.appendingPathComponent("m.encore").path
        try Data("old contents".utf8).write(to: URL(fileURLWithPath: path))
        var writer = try AtomicFileWriter(path: path)
        try writer.write("half of a new fi")
        writer.abandon()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old contents")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["m.encore"])
        // A streaming writer given up on (dropped before commit, as when a section throws)
        // removes its temporary file too, whatever it had flushed.
        do {
            let streaming = try ChecksummedFileWriter(path: path, bufferCapacity: 4)
            try Array("half of a new file".utf8).withUnsafeBytes { try streaming.append($0) }
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old contents")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["m.encore"])
        XCTAssertThrowsError(try ModelFile.write(try makeModel(), to: directory.appendingPathComponent("missing/m.encore").path))
    }
}
