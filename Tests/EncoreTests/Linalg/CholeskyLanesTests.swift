import XCTest
import CEncoreKernels
@testable import Encore

/// The subspace solver's eight-lane Cholesky kernel against systems whose solution is known by
/// construction, one different system per lane.
final class CholeskyLanesTests: XCTestCase {
    /// Lane l's system: G (shared, from a known factor) + W_l (its own small integers, Float,
    /// upper triangle given) + ridge_l·I, and b_l = A_l x_l for a known x_l; all exact in Double.
    private func systems(n: Int) -> (gram: [Double], weighted: [Float], ridges: [Double], matrices: [[Double]], solutions: [[Double]]) {
        let gram = DenseReference.knownFactor(n: n).a
        var weighted = [Float](repeating: 0, count: 8 * n * n), matrices: [[Double]] = [], solutions: [[Double]] = []
        let ridges = (0..<8).map { Double($0) + 0.5 }
        for lane in 0..<8 {
            // W_l = v vᵀ for an integer v: positive semi-definite, so A_l stays positive definite.
            let v = (0..<n).map { Double(($0 * (lane + 2)) % 3) - 1 }
            var a = gram
            for i in 0..<n {
                for j in 0..<n {
                    a[i * n + j] += v[i] * v[j]
                    // Only the upper triangle is read; the lower is left at a value that would be wrong.
                    weighted[lane * n * n + i * n + j] = j >= i ? Float(v[i] * v[j]) : 99
                }
                a[i * n + i] += ridges[lane]
            }
            matrices.append(a)
            solutions.append((0..<n).map { Double(($0 + lane) % 5) - 2 })
        }
        return (gram, weighted, ridges, matrices, solutions)
    }

    func testEveryLaneSolvesItsOwnSystemAndUnusedLanesAreLeftAlone() {
        forEachKernelSet { kernels in
            // n = 13 runs the four-row blocks and their remainder.
            for n in [1, 5, 13, 16] {
                for count in [8, 3] {
                    let (gram, weighted, ridges, matrices, solutions) = systems(n: n)
                    var rhs = [Double](repeating: -7, count: 8 * n)
                    for lane in 0..<count {
                        for i in 0..<n { rhs[lane * n + i] = (0..<n).reduce(0) { $0 + matrices[lane][i * n + $1] * solutions[lane][$1] } }
                    }
                    var scratch = [Double](repeating: .nan, count: (n + 1) * n * 8)
                    let failed = encore_cholesky_solve_lanes(gram, weighted, ridges, &rhs, count, &scratch, n)
                    XCTAssertEqual(failed, 0, "\(kernels): n = \(n)")
                    for lane in 0..<8 {
                        for i in 0..<n {
                            let expected = lane < count ? solutions[lane][i] : -7
                            XCTAssertEqual(rhs[lane * n + i], expected, accuracy: 1e-9, "\(kernels): n = \(n), lane \(lane), x[\(i)]")
                        }
                    }
                }
            }
        }
    }

    func testALaneThatIsNotPositiveDefiniteIsReportedAndTheOthersStillSolve() {
        forEachKernelSet { kernels in
            let n = 5
            let (gram, weighted, given, matrices, solutions) = systems(n: n)
            // Lane 2's ridge makes its matrix indefinite.
            var ridges = given
            ridges[2] = -1000
            var rhs = [Double](repeating: 0, count: 8 * n)
            for lane in 0..<8 {
                for i in 0..<n { rhs[lane * n + i] = (0..<n).reduce(0) { $0 + matrices[lane][i * n + $1] * solutions[lane][$1] } }
            }
            var scratch = [Double](repeating: 0, count: (n + 1) * n * 8)
            let failed = encore_cholesky_solve_lanes(gram, weighted, ridges, &rhs, 8, &scratch, n)
            XCTAssertEqual(failed, 1 << 2, "\(kernels)")
            for lane in 0..<8 where lane != 2 {
                for i in 0..<n { XCTAssertEqual(rhs[lane * n + i], solutions[lane][i], accuracy: 1e-9, "\(kernels): lane \(lane)") }
            }
        }
    }
}
