import Encore
import Foundation
import XCTest

/// What the MPI test classes share: the play log they train on and how they compare models.
extension XCTestCase {
    /// A play log written here: 120 listeners of two tastes, 50 artists, string IDs with spaces,
    /// repeated (user, artist) rows to be summed, a header, rows in shuffled order.
    func writePlayLog(in directory: URL) throws -> String {
        var generator = RandomSource(seed: 7)
        var rows: [String] = []
        for user in 0..<120 {
            for item in 0..<50 where (user % 2 == item % 2) == (generator.next() % 5 != 0) && generator.next() % 3 == 0 {
                rows.append("listener \(user)\tartist \(item)\t\(1 + generator.next() % 40)")
                if generator.next() % 7 == 0 { rows.append("listener \(user)\tartist \(item)\t\(1 + generator.next() % 5)") }
            }
        }
        rows.shuffle(using: &generator)
        let path = directory.appendingPathComponent("plays.tsv").path
        try Data((["user\tartist\tplays"] + rows).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("encore-mpi-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func summary(_ run: MPISupport.Run) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(run.stdout.split(separator: "\n").last).utf8)) as? [String: Any])
    }

    /// Factors, ID tables and training matrix agree; factors within `tolerance`.
    func assertSameModel(_ path: String, _ reference: String, tolerance: Float, _ message: String) throws {
        let model = try ModelFile.read(from: path), expected = try ModelFile.read(from: reference)
        XCTAssertEqual(model.userIDs, expected.userIDs, message)
        XCTAssertEqual(model.itemIDs, expected.itemIDs, message)
        XCTAssertEqual(model.interactions, expected.interactions, message)
        XCTAssertEqual(model.configuration, expected.configuration, message)
        var worst: Float = 0
        for (mine, theirs) in [(model.factors.userFactors, expected.factors.userFactors), (model.factors.itemFactors, expected.factors.itemFactors)] {
            XCTAssertEqual(mine.rows, theirs.rows, message)
            for r in 0..<mine.rows { for c in 0..<mine.columns { worst = max(worst, abs(mine[r, c] - theirs[r, c])) } }
        }
        XCTAssertLessThan(worst, tolerance, "\(message): largest factor difference \(worst)")
        if let loss = model.summary.lossHistory.last, let reference = expected.summary.lossHistory.last {
            XCTAssertEqual(loss, reference, accuracy: 1e-5 * abs(reference), message)
        }
    }
}
