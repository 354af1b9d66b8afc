import Encore
import Foundation
import XCTest

/// Checkpoints that crashed `TrainingCheckpoint.read` under scripts/fuzz (target `checkpoint`):
/// each must now be a "damaged checkpoint" error, never a trap.
final class CheckpointFuzzRegressionTests: XCTestCase {
    /// A checkpoint file: magic, `headerLength` (the JSON's own unless given), the JSON,
    /// `floats` zero factors, and the right checksum.
    func checkpoint(json: String, headerLength: UInt64? = nil, floats: Int) -> [UInt8] {
        var bytes = Array("ENCORECK".utf8)
        withUnsafeBytes(of: (headerLength ?? UInt64(json.utf8.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += Array(json.utf8)
        bytes += [UInt8](repeating: 0, count: 4 * floats)
        let sum = bytes.withUnsafeBytes { Checksum.of($0) }
        withUnsafeBytes(of: sum.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    func header(users: Int, items: Int, factors: Int, iteration: Int = 1) -> String {
        "{\"fingerprint\":\"job\",\"iteration\":\(iteration),\"lossHistory\":[1],\"users\":\(users),\"items\":\(items),\"factors\":\(factors)}"
    }

    func expectDamaged(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-ck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(bytes).write(to: URL(fileURLWithPath: TrainingCheckpoint.path(in: directory.path)))
        XCTAssertThrowsError(try TrainingCheckpoint.read(from: directory.path, expecting: "job"), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains("damaged checkpoint"), "\(error)", file: file, line: line)
        }
    }

    func testAWellFormedCheckpointStillReads() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-ck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(checkpoint(json: header(users: 2, items: 3, factors: 2), floats: 10)).write(to: URL(fileURLWithPath: TrainingCheckpoint.path(in: directory.path)))
        let read = try XCTUnwrap(try TrainingCheckpoint.read(from: directory.path, expecting: "job"))
        XCTAssertEqual(read.userFactors.count, 4)
        XCTAssertEqual(read.itemFactors.count, 6)
    }

    /// The bug: the header length (a UInt64) was converted with `Int(_:)`, which traps on 2⁶³
    /// and more, before it was compared with the file's size.
    func testHeaderLengthBeyondIntIsRefused() throws {
        try expectDamaged(checkpoint(json: header(users: 1, items: 1, factors: 1), headerLength: 1 << 63 | 5, floats: 2))
        try expectDamaged(checkpoint(json: header(users: 1, items: 1, factors: 1), headerLength: UInt64.max, floats: 2))
    }

    /// Negative shapes whose products cancel (-1 × 1 users, 1 × 1 items: zero floats) passed the
    /// length check and then sliced floats[0..<-1]; zero factors and overflowing shapes are refused too.
    func testImpossibleShapesAreRefused() throws {
        try expectDamaged(checkpoint(json: header(users: -1, items: 1, factors: 1), floats: 0))
        try expectDamaged(checkpoint(json: header(users: 0, items: 0, factors: 0), floats: 0))
        try expectDamaged(checkpoint(json: header(users: 1 << 62, items: 1 << 62, factors: 4), floats: 0))
        try expectDamaged(checkpoint(json: header(users: 1, items: 1, factors: 1, iteration: -3), floats: 2))
    }

    /// A header that is not the checkpoint's JSON is a damaged checkpoint, not a DecodingError.
    func testUndecodableHeaderIsDamaged() throws {
        try expectDamaged(checkpoint(json: "{\"fingerprint\":1}", floats: 0))
    }
}
