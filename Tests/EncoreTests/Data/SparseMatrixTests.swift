import XCTest
@testable import Encore

/// CSR construction and transpose against a dense matrix built by hand.
final class SparseMatrixTests: XCTestCase {
    func testCoordinatesBuildSortedSummedRowsAndTransposeMatchesDense() throws {
        var random = RandomSource(seed: 8)
        let rows = 17, columns = 11
        var dense = [[Float]](repeating: [Float](repeating: 0, count: columns), count: rows)
        var r: [UInt32] = [], c: [UInt32] = [], v: [Float] = []
        for _ in 0..<120 {
            let i = Int(random.nextUniform() * Double(rows)), j = Int(random.nextUniform() * Double(columns))
            let value = Float(1 + Int(random.nextUniform() * 5))
            dense[i][j] += value
            r.append(UInt32(i)); c.append(UInt32(j)); v.append(value)
        }
        let matrix = SparseMatrix(rowCount: rows, columnCount: columns, rows: r, columns: c, values: v)
        let transposed = matrix.transposed()
        for i in 0..<rows {
            let stored = Array(matrix.columns(ofRow: i))
            XCTAssertEqual(stored, stored.sorted())
            XCTAssertEqual(Set(stored).count, stored.count)
            for j in 0..<columns {
                XCTAssertEqual(matrix.value(row: i, column: j), dense[i][j])
                XCTAssertEqual(transposed.value(row: j, column: i), dense[i][j])
            }
        }
        XCTAssertEqual(matrix.nonZeroCount, dense.flatMap { $0 }.filter { $0 != 0 }.count)
        XCTAssertEqual(transposed.transposed(), matrix)
    }

    func testValidatingInitializerRejectsBadArrays() {
        XCTAssertThrowsError(try SparseMatrix(rowCount: 1, columnCount: 2, offsets: [0, 2], indices: [1, 0], values: [1, 1]))
        XCTAssertThrowsError(try SparseMatrix(rowCount: 1, columnCount: 2, offsets: [0, 1], indices: [2], values: [1]))
        XCTAssertThrowsError(try SparseMatrix(rowCount: 2, columnCount: 2, offsets: [0, 1], indices: [0], values: [1]))
    }
}
