import XCTest
import Foundation
@testable import Encore

/// The normal draws the factors start from, against the normal distribution itself.
final class RandomSourceTests: XCTestCase {
    func testGaussianPairsAreIndependentStandardNormals() {
        var random = RandomSource(seed: 42)
        let pairs = 100_000
        var firsts: [Double] = [], seconds: [Double] = []
        for _ in 0..<pairs {
            let (a, b) = random.nextGaussianPair()
            firsts.append(a)
            seconds.append(b)
        }
        let draws = firsts + seconds
        let n = Double(draws.count)
        let mean = draws.reduce(0, +) / n
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let correlation = zip(firsts, seconds).reduce(0) { $0 + $1.0 * $1.1 } / Double(pairs)
        // Standard errors: 1/√n for the mean, √(2/n) for the variance, 1/√pairs for the correlation.
        XCTAssertEqual(mean, 0, accuracy: 5 / n.squareRoot())
        XCTAssertEqual(variance, 1, accuracy: 5 * (2 / n).squareRoot())
        XCTAssertEqual(correlation, 0, accuracy: 5 / Double(pairs).squareRoot())
        // Kolmogorov–Smirnov distance to Φ(x) = (1 + erf(x/√2)) / 2; 1.95/√n is the 0.1% level.
        let sorted = draws.sorted()
        var distance = 0.0
        for (index, x) in sorted.enumerated() {
            let cdf = (1 + erf(x / 2.0.squareRoot())) / 2
            distance = max(distance, abs(cdf - Double(index) / n), abs(cdf - Double(index + 1) / n))
        }
        XCTAssertLessThan(distance, 1.95 / n.squareRoot())
    }

    func testInitialVectorsAreUnitLengthAndTheSameForAnySplitOfRows() {
        let whole = ImplicitALS.initialFactors(rows: 0..<50, k: 7, seed: 3, side: .users, threads: 2)
        let tail = ImplicitALS.initialFactors(rows: 20..<50, k: 7, seed: 3, side: .users, threads: 1)
        for r in 0..<50 {
            let row = whole.rowArray(r)
            XCTAssertEqual(row.reduce(0) { $0 + Double($1) * Double($1) }, 1, accuracy: 1e-6)
            if r >= 20 { XCTAssertEqual(row, tail.rowArray(r - 20)) }
        }
        XCTAssertNotEqual(whole.rowArray(0), ImplicitALS.initialFactors(rows: 0..<1, k: 7, seed: 3, side: .items, threads: 1).rowArray(0))
    }
}
