import XCTest
@testable import Encore

/// Version 4 of the model file: version 3's payload, then a table of checksums per chunk of
/// each section. The layout is checked by hand against docs/model-file.md; a byte damaged in
/// each kind of chunk is refused, naming the section, by whatever reads it — at load for the
/// sections every command reads, when a user is looked up for that user's rows — and damage in a
/// listener's rows that a one-shot load does not read is left for `encore verify`.
final class ModelFileVersion4Tests: XCTestCase {
    /// 60 listeners of 12 artists, k = 3 (a factor row is 16 floats, 64 bytes): with chunks of 64
    /// bytes each listener's rows lie in chunks of their own, far from listener 0's.
    func makeModel() throws -> TrainedModel {
        var triples: [(String, String, Float)] = []
        for u in 0..<60 { for i in [u % 12, (u * 5 + 1) % 12, (u * 7 + 3) % 12] { triples.append(("user\(u)", "artist\(i)", Float(1 + (u + i) % 4))) } }
        var data = try Interactions(triples: triples)
        data.itemNames = (0..<data.itemIDs.count).map { "Name \($0)" }
        var configuration = ALSConfiguration()
        configuration.factors = 3
        configuration.iterations = 2
        return try TrainedModel.train(data, configuration: configuration, threads: 1, source: "hand.tsv")
    }

    func word(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        bytes[offset..<(offset + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// The sections of a version 4 file as read here by hand: kind, start, length.
    func sections(of bytes: [UInt8]) -> (chunkSize: Int, sections: [(kind: UInt64, start: Int, length: Int)], sums: [UInt64]) {
        let tableStart = 24 + Int(word(bytes, at: 16))
        let chunkSize = Int(word(bytes, at: tableStart)), count = Int(word(bytes, at: tableStart + 8))
        let sections = (0..<count).map { s in
            (kind: word(bytes, at: tableStart + 16 + 24 * s), start: Int(word(bytes, at: tableStart + 24 + 24 * s)), length: Int(word(bytes, at: tableStart + 32 + 24 * s)))
        }
        let sumsStart = tableStart + 16 + 24 * count
        let sums = stride(from: sumsStart, to: bytes.count - 16, by: 8).map { word(bytes, at: $0) }
        return (chunkSize, sections, sums)
    }

    func testFileIsVersion3sPayloadFollowedByTheDocumentedChunkTable() throws {
        let model = try makeModel()
        let directory = try TestSupport.temporaryDirectory(self)
        let v3 = directory.appendingPathComponent("v3.encore").path, v4 = directory.appendingPathComponent("v4.encore").path
        try ModelFile.write(model, to: v3, version: 3)
        try ModelFile.write(model, to: v4, version: 4, bufferCapacity: 7, chunkSize: 100)
        let old = [UInt8](try Data(contentsOf: URL(fileURLWithPath: v3))), bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: v4)))
        XCTAssertEqual(word(bytes, at: 8) & 0xFFFF_FFFF, 4, "format version")
        let payloadEnd = 24 + Int(word(bytes, at: 16))
        XCTAssertEqual(Array(bytes[16..<payloadEnd]), Array(old[16..<(old.count - 8)]), "the same payload as version 3")
        let (chunkSize, sections, sums) = sections(of: bytes)
        XCTAssertEqual(chunkSize, 100)
        // Header (with the prefix), user IDs, item IDs, item names, user factors, item factors,
        // training matrix: in order, one after the other, from the file's start to the payload's end.
        XCTAssertEqual(sections.map(\.kind), [1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(sections.first?.start, 0)
        for (previous, next) in zip(sections, sections.dropFirst()) { XCTAssertEqual(previous.start + previous.length, next.start) }
        XCTAssertEqual(sections.last.map { $0.start + $0.length }, payloadEnd)
        // The user factors section ends where its rows end: 60 rows of 16 floats.
        let userFactors = sections[4]
        XCTAssertEqual((userFactors.start + userFactors.length) % 64, 0)
        XCTAssertGreaterThanOrEqual(userFactors.length, 60 * 64 + 8)
        // Each section is cut into chunks of 100 bytes from its own start, the last one shorter.
        var expected: [UInt64] = []
        for section in sections {
            for start in stride(from: section.start, to: section.start + section.length, by: 100) {
                expected.append(bytes[start..<min(start + 100, section.start + section.length)].withUnsafeBytes { Checksum.of($0) })
            }
        }
        XCTAssertEqual(sums, expected)
        XCTAssertEqual(Int(word(bytes, at: bytes.count - 16)), bytes.count - 16 - payloadEnd, "the table's length")
        XCTAssertEqual(word(bytes, at: bytes.count - 8), bytes[payloadEnd..<(bytes.count - 8)].withUnsafeBytes { Checksum.of($0) })

        let loaded = try ModelFile.read(from: v4)
        XCTAssertEqual(loaded.factors.userFactors.packed(), model.factors.userFactors.packed())
        XCTAssertEqual(loaded.interactions, model.interactions)
        XCTAssertEqual(loaded.itemNames, model.itemNames)
        XCTAssertEqual(try ModelFile.readWithChecksum(from: v4).checksum, word(bytes, at: bytes.count - 8), "the table's checksum names the file")
    }

    /// A pipe cannot be mapped: the file is read whole into memory, and a listener's rows are
    /// still checked when the listener is looked up, against the bytes read.
    func testAFileReadFromAPipeChecksItsChunksAsAMappedOneDoes() throws {
        let model = try makeModel()
        let (path, bytes) = try writeFile(model)
        try damaged(bytes, at: offsets(of: 50, in: model, bytes: bytes).factors + 5, path: path)
        let fifo = try TestSupport.temporaryDirectory(self).appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let contents = try Data(contentsOf: URL(fileURLWithPath: path))
        let writer = Thread { try? contents.write(to: URL(fileURLWithPath: fifo)) }
        writer.start()
        let loaded = try ModelFile.read(from: fifo, checking: .deferringUserRows)
        XCTAssertEqual(try loaded.userIndex("user0"), 0)
        XCTAssertEqual(loaded.factors.userFactors.rowArray(0), model.factors.userFactors.rowArray(0))
        expectCorrupted("user factors", path: fifo) { _ = try loaded.userIndex("user50") }
    }

    // MARK: damage

    func writeFile(_ model: TrainedModel, chunkSize: Int = 64) throws -> (path: String, bytes: [UInt8]) {
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("m.encore").path
        try ModelFile.write(model, to: path, version: 4, chunkSize: chunkSize)
        return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    func damaged(_ bytes: [UInt8], at offset: Int, path: String) throws {
        var copy = bytes
        copy[offset] ^= 0x40
        try Data(copy).write(to: URL(fileURLWithPath: path))
    }

    func expectCorrupted(_ section: String, path: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard case let EncoreError.invalidModelFile(named, reason) = error else { return XCTFail("not invalidModelFile: \(error)", file: file, line: line) }
            XCTAssertEqual(named, path, file: file, line: line)
            XCTAssertTrue(reason.contains("its \(section) section is corrupted"), reason, file: file, line: line)
        }
    }

    /// File offset of the first byte of a user's factor row, and of the user's first training entry's item index and weight.
    func offsets(of user: Int, in model: TrainedModel, bytes: [UInt8]) -> (factors: Int, index: Int, weight: Int) {
        let (_, sections, _) = sections(of: bytes)
        let factorsEnd = sections[4].start + sections[4].length
        let factors = factorsEnd - (model.userCount - user) * 64
        // The training matrix: offsets (users + 1 Int64), indices (UInt32), weights (Float32),
        // each a count then zeros up to a multiple of 64.
        func arrayStart(after offset: Int) -> Int { (offset + 8 + 63) / 64 * 64 }
        let offsetsStart = arrayStart(after: sections[6].start)
        let indicesStart = arrayStart(after: offsetsStart + (model.userCount + 1) * 8)
        let weightsStart = arrayStart(after: indicesStart + model.interactions.nonZeroCount * 4)
        let entry = model.interactions.offsets[user]
        return (factors, indicesStart + entry * 4, weightsStart + entry * 4)
    }

    func testEverySectionReadAtLoadIsCheckedAtLoadWhateverIsDeferred() throws {
        let model = try makeModel()
        let (path, bytes) = try writeFile(model)
        let (_, sections, _) = sections(of: bytes)
        let named: [UInt64: String] = [1: "header", 2: "user ID table", 3: "item ID table", 4: "item names", 6: "item factors"]
        for section in sections {
            guard let title = named[section.kind] else { continue }
            try damaged(bytes, at: section.start + section.length - 1, path: path)
            for checking in [ModelFile.Checking.everything, .deferringUserRows, .deferringUserFactors] {
                expectCorrupted(title, path: path) { _ = try ModelFile.read(from: path, checking: checking) }
            }
        }
    }

    func testTheItemTagsSectionIsCheckedAtLoad() throws {
        let (path, bytes) = try writeFile(try TagStationTests.makeModel())
        let (_, sections, _) = sections(of: bytes)
        XCTAssertEqual(sections.last?.kind, 8, "the item tags, last")
        XCTAssertNotNil(try ModelFile.read(from: path, checking: .deferringUserRows).itemTags)
        try damaged(bytes, at: sections.last!.start + sections.last!.length - 1, path: path)
        for checking in [ModelFile.Checking.everything, .deferringUserRows, .deferringUserFactors] {
            expectCorrupted("item tags", path: path) { _ = try ModelFile.read(from: path, checking: checking) }
        }
    }

    func testAListenersFactorRowIsCheckedWhenTheListenerIsLookedUp() throws {
        let model = try makeModel()
        let (path, bytes) = try writeFile(model)
        try damaged(bytes, at: offsets(of: 50, in: model, bytes: bytes).factors + 5, path: path)
        for checking in [ModelFile.Checking.deferringUserRows, .deferringUserFactors] {
            let loaded = try ModelFile.read(from: path, checking: checking)
            // Listener 0's rows are in other chunks: answered, and the same as the undamaged model's.
            XCTAssertEqual(try loaded.userIndex("user0"), 0)
            XCTAssertEqual(TopNRecommendation.recommend(loaded, user: 0, count: 3, seen: loaded.interactions),
                           TopNRecommendation.recommend(model, user: 0, count: 3, seen: model.interactions))
            expectCorrupted("user factors", path: path) { _ = try loaded.userIndex("user50") }
            // Asked again, still refused: a chunk found wrong is never taken as checked.
            expectCorrupted("user factors", path: path) { _ = try loaded.userIndex("user50") }
        }
        expectCorrupted("user factors", path: path) { _ = try ModelFile.read(from: path, checking: .everything) }
    }

    func testAListenersTrainingRowIsCheckedWhenTheListenerIsLookedUp() throws {
        let model = try makeModel()
        let (path, bytes) = try writeFile(model)
        let places = offsets(of: 50, in: model, bytes: bytes)
        for offset in [places.index, places.weight + 3] {
            try damaged(bytes, at: offset, path: path)
            let loaded = try ModelFile.read(from: path, checking: .deferringUserRows)
            XCTAssertEqual(try loaded.userIndex("user0"), 0)
            expectCorrupted("training matrix", path: path) { _ = try loaded.userIndex("user50") }
            // Commands that count listeners check the whole matrix at load.
            expectCorrupted("training matrix", path: path) { _ = try ModelFile.read(from: path, checking: .deferringUserFactors) }
            expectCorrupted("training matrix", path: path) { _ = try ModelFile.read(from: path, checking: .everything) }
        }
    }

    /// Damage that keeps every checksum right (a file made wrong, not broken): a deferred
    /// training row's columns are checked when its listener is looked up.
    func testADeferredRowWithAColumnOutOfRangeIsRefusedWhenLookedUp() throws {
        let model = try makeModel()
        let (path, bytes) = try writeFile(model, chunkSize: 1 << 20)
        var changed = bytes
        let at = offsets(of: 50, in: model, bytes: bytes).index
        withUnsafeBytes(of: UInt32(12).littleEndian) { changed.replaceSubrange(at..<(at + 4), with: $0) }  // 12 items: 0–11
        // Reseal: the training matrix is one chunk here; recompute it, the table's checksum after it.
        let (_, sections, _) = sections(of: changed)
        let tableStart = 24 + Int(word(changed, at: 16)), sumsStart = tableStart + 16 + 24 * sections.count
        let training = sections[6]
        let sum = changed[training.start..<(training.start + training.length)].withUnsafeBytes { Checksum.of($0) }
        withUnsafeBytes(of: sum.littleEndian) { changed.replaceSubrange((sumsStart + 6 * 8)..<(sumsStart + 7 * 8), with: $0) }
        let root = changed[tableStart..<(changed.count - 8)].withUnsafeBytes { Checksum.of($0) }
        withUnsafeBytes(of: root.littleEndian) { changed.replaceSubrange((changed.count - 8)..., with: $0) }
        try Data(changed).write(to: URL(fileURLWithPath: path))

        let loaded = try ModelFile.read(from: path, checking: .deferringUserRows)
        XCTAssertEqual(try loaded.userIndex("user0"), 0)
        XCTAssertThrowsError(try loaded.userIndex("user50")) { error in
            XCTAssertTrue("\(error)".contains("CSR row 50"), "\(error)")
        }
        XCTAssertThrowsError(try ModelFile.read(from: path, checking: .everything)) { error in
            XCTAssertTrue("\(error)".contains("CSR row 50"), "\(error)")
        }
    }

    func testADamagedChunkTableIsRefusedBeforeAnythingIsRead() throws {
        let (path, bytes) = try writeFile(try makeModel())
        let tableStart = 24 + Int(word(bytes, at: 16))
        for offset in [tableStart, tableStart + 20, bytes.count - 20, bytes.count - 1] {
            try damaged(bytes, at: offset, path: path)
            XCTAssertThrowsError(try ModelFile.read(from: path, checking: .deferringUserRows)) { error in
                XCTAssertTrue("\(error)".contains("its chunk table is corrupted"), "\(error)")
            }
        }
    }
}
