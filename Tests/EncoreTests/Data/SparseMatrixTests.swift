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

    /// The transpose cut into slices of rows, one per thread: every entry where the dense matrix
    /// has it, rows sorted, and the same arrays whatever the thread count (empty rows, unused
    /// columns and a row count not divisible by the slices included).
    func testTransposeOnSeveralThreadsIsTheDenseTranspose() {
        var random = RandomSource(seed: 21)
        for (rows, columns) in [(1, 1), (3, 50), (97, 13), (400, 60)] {
            var dense = [[Float]](repeating: [Float](repeating: 0, count: columns), count: rows)
            var r: [UInt32] = [], c: [UInt32] = [], v: [Float] = []
            for _ in 0..<(rows * columns / 3 + 1) where random.nextUniform() < 0.9 {
                let i = Int(random.nextUniform() * Double(rows)), j = Int(random.nextUniform() * Double(max(1, columns - 1)))
                let value = Float(1 + Int(random.nextUniform() * 5))
                dense[i][j] += value
                r.append(UInt32(i)); c.append(UInt32(j)); v.append(value)
            }
            let matrix = SparseMatrix(rowCount: rows, columnCount: columns, rows: r, columns: c, values: v)
            let one = matrix.transposed(threads: 1)
            for threads in [2, 3, 5] { XCTAssertEqual(matrix.transposed(threads: threads), one, "\(rows) × \(columns), \(threads) threads") }
            XCTAssertEqual(one.rowCount, columns)
            XCTAssertTrue(matrix.entries(inColumn: -1).isEmpty && matrix.entries(inColumn: columns).isEmpty)
            XCTAssertEqual(matrix.value(row: 0, column: -1), 0)
            for j in 0..<columns {
                XCTAssertEqual(Array(one.columns(ofRow: j)), (0..<rows).filter { dense[$0][j] != 0 }.map { UInt32($0) })
                for i in 0..<rows { XCTAssertEqual(one.value(row: j, column: i), dense[i][j]) }
                // A column read from the rows by search, without the transpose.
                let entries = matrix.entries(inColumn: j)
                XCTAssertEqual(entries.map(\.row), (0..<rows).filter { dense[$0][j] != 0 })
                XCTAssertEqual(entries.map(\.value), (0..<rows).filter { dense[$0][j] != 0 }.map { dense[$0][j] })
            }
        }
    }

    func testValidatingInitializerRejectsBadArrays() {
        XCTAssertThrowsError(try SparseMatrix(rowCount: 1, columnCount: 2, offsets: [0, 2], indices: [1, 0], values: [1, 1]))
        XCTAssertThrowsError(try SparseMatrix(rowCount: 1, columnCount: 2, offsets: [0, 1], indices: [2], values: [1]))
        XCTAssertThrowsError(try SparseMatrix(rowCount: 2, columnCount: 2, offsets: [0, 1], indices: [0], values: [1]))
    }

    /// The validating initializer against the rule checked entry by entry here: offsets from 0
    /// rising to the entry count, and within each row columns strictly rising and below the
    /// column count. Small random matrices, most of them nearly valid (a column repeated across
    /// a row boundary is fine; inside a row it is not).
    func testValidationAgreesWithAnEntryByEntryCheck() {
        var random = RandomSource(seed: 11)
        func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        var accepted = 0, refused = 0
        for _ in 0..<3000 {
            let rows = below(5), columns = 1 + below(6)
            var offsets = [0]
            var indices: [UInt32] = []
            for _ in 0..<rows {
                let length = below(4)
                var column = below(3)
                for _ in 0..<length {
                    indices.append(UInt32(column))
                    column += 1 + below(2)
                }
                offsets.append(indices.count)
            }
            // Damage some: a column changed, or an offset moved.
            if !indices.isEmpty && below(3) == 0 { indices[below(indices.count)] = UInt32(below(columns + 1)) }
            if rows > 1 && below(6) == 0 { offsets[1 + below(rows - 1)] = below(indices.count + 2) }
            var valid = offsets.first == 0 && offsets.last == indices.count
            for r in 0..<rows where valid {
                guard offsets[r] <= offsets[r + 1], offsets[r + 1] <= indices.count else { valid = false; break }
                for p in offsets[r]..<offsets[r + 1] where Int(indices[p]) >= columns || (p > offsets[r] && indices[p] <= indices[p - 1]) { valid = false }
            }
            let values = [Float](repeating: 1, count: indices.count)
            let made = try? SparseMatrix(rowCount: rows, columnCount: columns, offsets: offsets, indices: indices, values: values)
            XCTAssertEqual(made != nil, valid, "offsets \(offsets), indices \(indices), \(columns) columns")
            if valid { accepted += 1 } else { refused += 1 }
        }
        XCTAssertGreaterThan(accepted, 500)
        XCTAssertGreaterThan(refused, 500)
    }
}
