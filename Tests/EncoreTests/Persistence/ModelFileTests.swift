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
            try expectInvalid(flipped, containing: position >= original.count - 8 ? "checksum" : "checksum", "bit flip at \(position)")
        }
        try expectInvalid(Data("user\titem\tweight\n1\t2\t3\n".utf8), containing: "signature", "a TSV file")
        var newer = original
        newer[8] = 99
        try expectInvalid(newer, containing: "format version 99", "a newer version")
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
        XCTAssertThrowsError(try ModelFile.write(try makeModel(), to: directory.appendingPathComponent("missing/m.encore").path))
    }
}
