import XCTest
@testable import Encore

/// Item tags in the model file (versions 2, 3 and 4), and version 1 files still loading.
final class ModelFileTagsTests: XCTestCase {
    func version(of path: String) throws -> UInt32 {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return bytes[8..<12].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    }

    func testTaggedModelKeepsItsTagsInVersions2To4() throws {
        let handMade = try TagStationTests.makeModel()
        let model = try TrainedModel(
            configuration: handMade.configuration, userIDs: handMade.userIDs, itemIDs: handMade.itemIDs, itemNames: handMade.itemNames,
            factors: handMade.factors, interactions: handMade.interactions, summary: handMade.summary, itemTags: handMade.itemTags, placedItems: 2
        )
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("tagged.encore").path
        for written: UInt32 in [2, 3, 4] {
            try ModelFile.write(model, to: path, version: written)
            XCTAssertEqual(try version(of: path), written)
            let loaded = try ModelFile.read(from: path)
            XCTAssertEqual(loaded.itemTags?.tagNames, ["shoegaze", "dream pop", "metal"])
            XCTAssertEqual(loaded.itemTags?.matrix, model.itemTags?.matrix)
            XCTAssertEqual(loaded.factors.itemFactors.packed(), model.factors.itemFactors.packed())
            XCTAssertEqual(loaded.placedItems, 2)
        }
        try ModelFile.write(model, to: path)
        XCTAssertEqual(try version(of: path), 4, "what encore train writes")
    }

    func testModelWithoutTagsIsVersion4OrOnRequestVersion1() throws {
        let model = try TagStationTests.makeModel()
        let untagged = try TrainedModel(
            configuration: model.configuration, userIDs: model.userIDs, itemIDs: model.itemIDs, itemNames: model.itemNames,
            factors: model.factors, interactions: model.interactions, summary: model.summary
        )
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("plain.encore").path
        try ModelFile.write(untagged, to: path)
        XCTAssertEqual(try version(of: path), 4)
        XCTAssertNil(try ModelFile.read(from: path).itemTags)
        try ModelFile.write(untagged, to: path, version: 1)
        XCTAssertEqual(try version(of: path), 1, "older builds read it")
        XCTAssertNil(try ModelFile.read(from: path).itemTags)
        XCTAssertThrowsError(try ModelFile.write(try TagStationTests.makeModel(), to: path, version: 1), "version 1 has no tags section")
    }

    /// A version 1 file put together here byte by byte, following docs/model-file.md.
    func testVersion1FileWrittenByHandLoads() throws {
        var configuration = ALSConfiguration()
        configuration.factors = 2
        let summary = TrainingSummary(lossHistory: [1.5], trainSeconds: 0.1, source: "by hand", createdAt: "2026-01-01T00:00:00Z")
        struct Header: Encodable {
            var configuration: ALSConfiguration, summary: TrainingSummary
            var users = 2, items = 3, factors = 2, interactions = 3, hasItemNames = true
        }
        var payload: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { payload.append(contentsOf: $0) } }
        func append(floats: [Float]) { append(UInt64(floats.count)); for value in floats { append(value.bitPattern) } }
        func append(strings: [String]) {
            var offsets: [UInt64] = [0]
            for string in strings { offsets.append(offsets.last! + UInt64(string.utf8.count)) }
            append(UInt64(offsets.count)); for offset in offsets { append(offset) }
            let bytes = strings.flatMap { Array($0.utf8) }
            append(UInt64(bytes.count)); payload += bytes
        }
        let header = try JSONEncoder().encode(Header(configuration: configuration, summary: summary))
        append(UInt64(header.count)); payload += header
        append(strings: ["u1", "u2"])
        append(strings: ["a", "b", "c"])
        append(strings: ["Alpha", "", "Gamma"])
        append(floats: [1, 0, 0, 1])
        append(floats: [1, 0, 0.5, 0.5, 0, 1])
        append(UInt64(3)); for offset: Int64 in [0, 2, 3] { append(offset) }
        append(UInt64(3)); for index: UInt32 in [0, 1, 2] { append(index) }
        append(floats: [2, 1, 4])
        var bytes = Array("ENCOREMF".utf8)
        withUnsafeBytes(of: UInt32(1).littleEndian) { bytes += $0 }
        bytes += [0, 0, 0, 0]
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { bytes += $0 }
        bytes += payload
        let sum = bytes.withUnsafeBytes { Checksum.of($0) }
        withUnsafeBytes(of: sum.littleEndian) { bytes += $0 }
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("v1.encore").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let model = try ModelFile.read(from: path)
        XCTAssertNil(model.itemTags)
        XCTAssertEqual(model.itemIDs.ids, ["a", "b", "c"])
        XCTAssertEqual(model.name(ofItem: 2), "Gamma")
        XCTAssertEqual(model.factors.score(user: 1, item: 2), 1)
        XCTAssertEqual(model.listenerCounts, [1, 1, 1])
        XCTAssertEqual(try EncoreModel.load(from: URL(fileURLWithPath: path)).tags, [])
    }
}
