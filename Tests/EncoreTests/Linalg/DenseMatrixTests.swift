import XCTest
@testable import Encore

/// Copies and row normalization, against arithmetic done here in Double.
final class DenseMatrixTests: XCTestCase {
    func testRowNormalizedMatchesADoubleReferenceOnAnyThreadCount() {
        var random = RandomSource(seed: 4)
        let rows = 10_000, columns = 10  // more rows than one chunk; a padded stride (16)
        let matrix = DenseMatrix(rows: rows, columns: columns)
        for r in 0..<rows where r % 7 != 0 {  // every seventh row stays zero
            for c in 0..<columns { matrix[r, c] = Float(random.nextUniform() * 2 - 1) }
        }
        let one = matrix.rowNormalized(threads: 1), two = matrix.rowNormalized(threads: 2)
        for r in 0..<rows {
            let values = (0..<columns).map { Double(matrix[r, $0]) }
            let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for c in 0..<columns {
                XCTAssertEqual(Double(one[r, c]), norm > 0 ? values[c] / norm : 0, accuracy: 1e-6, "row \(r)")
            }
            for c in columns..<one.stride { XCTAssertEqual(one.row(r)[c], 0, "padding of row \(r)") }
        }
        XCTAssertEqual(one.packed(), two.packed(), "threads share rows out, never change them")
        XCTAssertEqual(matrix.copy().packed(), matrix.packed())
        XCTAssertEqual(DenseMatrix(rows: 0, columns: 3).rowNormalized().rows, 0)
    }
}
