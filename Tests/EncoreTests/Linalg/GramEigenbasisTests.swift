import XCTest
@testable import Encore

/// The eigenbasis the half-steps solve in, checked against its definition computed by hand.
final class GramEigenbasisTests: XCTestCase {
    func testEigenpairsRebuildTheGramMatrixAndTurningBackRestoresTheVectors() throws {
        var random = RandomSource(seed: 3)
        // Two tasks of the exact turn's 32 blocks of 128 rows, and a third ending in a part block.
        let rows = 2 * 32 * 128 + 131, k = 20
        let factors = DenseMatrix(rows: rows, columns: k, values: (0..<(rows * k)).map { _ in Float(random.nextGaussian()) })
        // YᵀY summed cell by cell in Double, independently of BLAS.
        var gram = [Double](repeating: 0, count: k * k)
        for r in 0..<rows {
            let y = factors.rowArray(r)
            for i in 0..<k { for j in 0..<k { gram[i * k + j] += Double(y[i]) * Double(y[j]) } }
        }
        for exact in [true, false] {
            let basis = try XCTUnwrap(GramEigenbasis(gram: gram, k: k, exact: exact))
            // G q_j = λ_j q_j, and Q is orthonormal.
            for j in 0..<k {
                for i in 0..<k {
                    let gq = (0..<k).reduce(0.0) { $0 + gram[i * k + $1] * basis.vectors[$1 * k + j] }
                    XCTAssertEqual(gq, basis.values[j] * basis.vectors[i * k + j], accuracy: 1e-8 * basis.values[k - 1])
                }
                for other in 0..<k {
                    let product = (0..<k).reduce(0.0) { $0 + basis.vectors[$1 * k + j] * basis.vectors[$1 * k + other] }
                    XCTAssertEqual(product, j == other ? 1 : 0, accuracy: 1e-12)
                }
            }
            XCTAssertEqual(basis.values, basis.values.sorted())
            // Ỹ = Y Q row by row, and turning Ỹ back gives Y. Turned into a separate matrix and
            // in place (what training does), with the same bits.
            let rotated = DenseMatrix(rows: rows, columns: k)
            basis.turn(factors, into: rotated, threads: 2)
            let inPlace = DenseMatrix(rows: rows, columns: k, values: factors.packed())
            basis.turn(inPlace, into: inPlace, threads: 2)
            XCTAssertEqual(inPlace.packed(), rotated.packed())
            let back = DenseMatrix(rows: rows, columns: k)
            basis.turn(rotated, back: true, into: back, threads: 2)
            basis.turn(inPlace, back: true, into: inPlace, threads: 2)
            XCTAssertEqual(inPlace.packed(), back.packed())
            let tolerance: Float = exact ? 1e-6 : 1e-5
            var turnError = 0.0, restoreError: Float = 0
            for r in 0..<rows {
                let y = factors.rowArray(r), turned = rotated.rowArray(r), restored = back.rowArray(r)
                for j in 0..<k {
                    let expected = (0..<k).reduce(0.0) { $0 + Double(y[$1]) * basis.vectors[$1 * k + j] }
                    turnError = max(turnError, abs(Double(turned[j]) - expected))
                    restoreError = max(restoreError, abs(restored[j] - y[j]))
                }
            }
            XCTAssertLessThan(turnError, Double(tolerance) * 10, "exact: \(exact)")
            XCTAssertLessThan(restoreError, tolerance * 10, "exact: \(exact)")
        }
    }
}
