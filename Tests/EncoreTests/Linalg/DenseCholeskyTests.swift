import XCTest
@testable import Encore

/// The small Cholesky solver against systems whose solution is known by construction.
final class DenseCholeskyTests: XCTestCase {
    func testSolvesSystemsBuiltFromAKnownFactorAndSolution() {
        forEachKernelSet { kernels in
            // n = 13 runs the four-row blocks, their remainder and dot products longer than eight.
            for n in [1, 2, 5, 13] {
                // A = L Lᵀ for a known L; b = A x.
                let (l, product) = DenseReference.knownFactor(n: n)
                var a = product
                let x = (0..<n).map { Double($0 % 4) - 1.5 }
                var b = [Double](repeating: 0, count: n)
                for i in 0..<n { for j in 0..<n { b[i] += a[i * n + j] * x[j] } }
                let solved = a.withUnsafeMutableBufferPointer { a in
                    b.withUnsafeMutableBufferPointer { b in DenseCholesky.solve(a.baseAddress!, b.baseAddress!, n: n) }
                }
                XCTAssertTrue(solved, "\(kernels): n = \(n)")
                for i in 0..<n { XCTAssertEqual(b[i], x[i], accuracy: 1e-9, "\(kernels): n = \(n), x[\(i)]") }
                // The factor left in the lower triangle is L.
                for i in 0..<n { for j in 0...i { XCTAssertEqual(a[i * n + j], l[i * n + j], accuracy: 1e-9, "\(kernels): n = \(n), L[\(i)][\(j)]") } }
            }
        }
    }

    func testRefusesAMatrixThatIsNotPositiveDefinite() {
        var a: [Double] = [1, 2, 0, 2, 1, 0, 0, 0, 1]
        var b: [Double] = [1, 1, 1]
        let solved = a.withUnsafeMutableBufferPointer { a in
            b.withUnsafeMutableBufferPointer { b in DenseCholesky.solve(a.baseAddress!, b.baseAddress!, n: 3) }
        }
        XCTAssertFalse(solved)
    }
}
