import XCTest
@testable import Encore

/// Model files that crashed the reader under scripts/fuzz (target `model-file`): each must now be
/// refused with an `invalidModelFile` error. The files are made right in every other respect
/// (payload length, checksum), so the damage reaches the section that used to trap.
final class ModelFileFuzzRegressionTests: XCTestCase {
    /// A valid model file of three users, split into its JSON header and the sections after it.
    func validFile() throws -> (header: String, sections: [UInt8]) {
        let directory = try TestSupport.temporaryDirectory(self)
        let path = directory.appendingPathComponent("m.encore").path
        var data = try Interactions(triples: [("ann", "Björk", 3), ("ann", "Can", 1), ("bob", "Can", 7), ("cy", "Björk", 2), ("cy", "Low", 1)])
        data.itemNames = ["Björk Guðmundsdóttir", "", "Low (band)"]
        var configuration = ALSConfiguration()
        configuration.factors = 3
        // Version 1: these are the copying reader's regressions (ModelFileVersion3Tests has the mapped one's).
        try ModelFile.write(try TrainedModel.train(data, configuration: configuration, threads: 1), to: path, version: 1)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let payload = Array(bytes[24..<(bytes.count - 8)])
        let headerLength = Int(payload[0..<8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        return (String(decoding: payload[8..<(8 + headerLength)], as: UTF8.self), Array(payload[(8 + headerLength)...]))
    }

    /// A whole file around `header` and `sections`, with the right length and checksum.
    func file(header: String, sections: [UInt8]) -> [UInt8] {
        var payload: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { payload.append(contentsOf: $0) } }
        append(UInt64(header.utf8.count))
        payload += Array(header.utf8) + sections
        var bytes = ModelFile.magic
        withUnsafeBytes(of: UInt32(1).littleEndian) { bytes.append(contentsOf: $0) }  // an untagged model is version 1
        bytes += [0, 0, 0, 0]
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += payload
        let sum = bytes.withUnsafeBytes { Checksum.of($0) }
        withUnsafeBytes(of: sum) { bytes.append(contentsOf: $0) }
        return bytes
    }

    func expectRefused(_ bytes: [UInt8], containing phrase: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("fuzzed.encore").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ModelFile.read(from: path), file: file, line: line) { error in
            guard case let EncoreError.invalidModelFile(_, reason) = error else { return XCTFail("not invalidModelFile: \(error)", file: file, line: line) }
            XCTAssertTrue(reason.contains(phrase), reason, file: file, line: line)
        }
    }

    /// The bug: a string table's offsets were checked pairwise while the strings were cut out, and
    /// only the last was checked against the blob, so [0, 100, 5] over a 5-byte blob sliced
    /// blob[0..<100] before seeing 100 > 5: an index-out-of-range trap (a crash of `encore serve`
    /// on reload). Now every end is checked against the blob first.
    func testStringTableWhoseOffsetsRunPastTheBlobIsRefused() throws {
        let (header, sections) = try validFile()
        var damaged = sections
        // The user ID table comes first: a count of offsets, then the offsets (0, 3, 6, 8 for
        // ann, bob, cy). The second user's end goes far past the blob; the last stays right.
        let count = Int(damaged[0..<8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        XCTAssertEqual(count, 4)
        withUnsafeBytes(of: UInt64(100).littleEndian) { damaged.replaceSubrange(16..<24, with: $0) }
        try expectRefused(file(header: header, sections: damaged), containing: "string table is malformed")
    }

    /// The bug: the header's shapes were multiplied unchecked (`rows * columns`), so a header
    /// claiming 2⁶² users of 4 factors overflowed and trapped instead of being a damaged file.
    func testFactorShapeThatOverflowsIsRefused() throws {
        let (header, sections) = try validFile()
        XCTAssertTrue(header.contains("\"users\":3"))
        let huge = header.replacingOccurrences(of: "\"users\":3", with: "\"users\":4611686018427387904")
        try expectRefused(file(header: huge, sections: sections), containing: "factor matrix")
    }

    /// Negative shapes: -1 users of 0 factors once passed `n == rows * columns` with n = 0 and
    /// then built a matrix of -1 rows.
    func testNegativeFactorShapeIsRefused() throws {
        let (header, sections) = try validFile()
        let negative = header.replacingOccurrences(of: "\"users\":3", with: "\"users\":-1")
        try expectRefused(file(header: negative, sections: sections), containing: "inconsistent")
    }

    /// The bug: the training matrix's row offsets were checked row by row while the row was
    /// walked, and only the last against the entries, so offsets [0, 100, …, 5] over 5 entries
    /// read indices[5…99] past the end: an index-out-of-range trap. Now each row's end is checked
    /// against the entries before the row is walked.
    func testMatrixRowOffsetsThatRunPastTheEntriesAreRefused() throws {
        let (header, sections) = try validFile()
        var position = 0
        func count() -> Int { Int(sections[position..<(position + 8)].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) }
        func skip(stride: Int) { position += 8 + count() * stride }
        for _ in 0..<3 { skip(stride: 8); skip(stride: 1) }  // user IDs, item IDs, item names
        skip(stride: 4); skip(stride: 4)  // user and item factors
        XCTAssertEqual(count(), 4)  // three users' row offsets: 0, 2, 3, 5
        var damaged = sections
        withUnsafeBytes(of: Int64(100).littleEndian) { damaged.replaceSubrange((position + 16)..<(position + 24), with: $0) }
        try expectRefused(file(header: header, sections: damaged), containing: "CSR row offsets")
    }

    /// The same check on the matrix's own initializer, and a row count of Int.max, which once
    /// overflowed `rowCount + 1`.
    func testSparseMatrixRefusesOffsetsPastTheEntriesAndHugeRowCounts() {
        XCTAssertThrowsError(try SparseMatrix(rowCount: 2, columnCount: 9, offsets: [0, 100, 5], indices: [0, 1, 2, 3, 4], values: [1, 1, 1, 1, 1]))
        XCTAssertThrowsError(try SparseMatrix(rowCount: .max, columnCount: 1, offsets: [0], indices: [], values: []))
        XCTAssertNoThrow(try SparseMatrix(rowCount: 2, columnCount: 9, offsets: [0, 2, 5], indices: [0, 1, 2, 3, 4], values: [1, 1, 1, 1, 1]))
    }
}
