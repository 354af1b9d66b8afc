import XCTest
import CEncoreKernels
@testable import Encore

/// The CG kernels against sums computed in integers. Every value is a small integer, so each
/// Float sum is exact whatever order the kernel adds in, and any row or column it skips, counts
/// twice or gives to the wrong output shows as a different integer.
final class VectorKernelsTests: XCTestCase {
    /// Row p, column j of the test matrices: integers from −4 to 4.
    private func entry(_ p: Int, _ j: Int) -> Int { (p * 7 + j * 3) % 9 - 4 }

    func testRowDotsMatchIntegerDotProducts() {
        forEachKernelSet { kernels in
            // Lengths: whole cache lines (the eight- and four-row blocks) and a ragged one; counts
            // cover eight-row blocks, the four-row remainder and single rows.
            for length in [16, 64, 128, 10] {
                for count in [1, 3, 4, 7, 8, 9, 13, 16, 21] {
                    let rows = UnsafeMutablePointer<Float>.allocateCacheAligned(capacity: count * length)
                    let v = UnsafeMutablePointer<Float>.allocateCacheAligned(capacity: length)
                    let q = UnsafeMutablePointer<Float>.allocateCacheAligned(capacity: count + 1)
                    defer { rows.deallocate(); v.deallocate(); q.deallocate() }
                    for p in 0..<count { for j in 0..<length { rows[p * length + j] = Float(entry(p, j)) } }
                    for j in 0..<length { v[j] = Float(j % 5 - 2) }
                    q[count] = 12345
                    VectorKernels.rowDots(rows, count: count, length: length, v, into: q)
                    for p in 0..<count {
                        let expected = (0..<length).reduce(0) { $0 + entry(p, $1) * ($1 % 5 - 2) }
                        XCTAssertEqual(q[p], Float(expected), "\(kernels): length \(length), \(count) rows, row \(p)")
                    }
                    XCTAssertEqual(q[count], 12345, "\(kernels): wrote past the last row (length \(length), \(count) rows)")
                }
            }
        }
    }

    func testAccumulateRowsAddsWeightedRowsToWhatIsThere() {
        forEachKernelSet { kernels in
            // 64 and 128 run the 64-column blocks, 80 adds a 16-column block, 10 the scalar columns;
            // odd counts leave one row outside the paired rows.
            for length in [64, 128, 80, 10] {
                for count in [0, 1, 2, 5, 16, 17] {
                    let rows = UnsafeMutablePointer<Float>.allocateCacheAligned(capacity: max(1, count * length))
                    let weights = UnsafeMutablePointer<Float>.allocateCacheAligned(capacity: max(1, count))
                    let out = UnsafeMutablePointer<Float>.allocateCacheAligned(capacity: length)
                    defer { rows.deallocate(); weights.deallocate(); out.deallocate() }
                    for p in 0..<count {
                        for j in 0..<length { rows[p * length + j] = Float(entry(p, j)) }
                        weights[p] = Float(p % 3 - 1)
                    }
                    for j in 0..<length { out[j] = Float(j) }
                    VectorKernels.accumulateRows(rows, count: count, length: length, weights: weights, into: out)
                    for j in 0..<length {
                        let expected = j + (0..<count).reduce(0) { $0 + ($1 % 3 - 1) * entry($1, j) }
                        XCTAssertEqual(out[j], Float(expected), "\(kernels): length \(length), \(count) rows, column \(j)")
                    }
                }
            }
        }
    }

    func testScratchSpaceStartsOnACacheLine() {
        for capacity in [1, 3, 64, 1000] {
            let floats = UnsafeMutablePointer<Float>.allocateCacheAligned(capacity: capacity)
            let doubles = UnsafeMutablePointer<Double>.allocateCacheAligned(capacity: capacity)
            XCTAssertEqual(Int(bitPattern: floats) % 64, 0)
            XCTAssertEqual(Int(bitPattern: doubles) % 64, 0)
            floats.deallocate()
            doubles.deallocate()
        }
    }

    /// A row's observed objective term, Σ (1 + c1)(t − s)² − s² with t = 1 where the weight is
    /// positive, against the formula summed here: scores are halves and c1 whole numbers, so
    /// every term and sum is exact in Double whatever order the kernel adds in. Lengths cover
    /// none, the eight-lane blocks and the one-by-one tail; weights of 0 and below count as t = 0.
    func testObservedObjectiveMatchesTheFormulaAndCountsPositives() {
        forEachKernelSet { kernels in
            for n in [0, 1, 7, 8, 9, 23] {
                let values = (0..<n).map { Float([2, 0, -1, 5][$0 % 4]) }
                let scores = (0..<n).map { Float($0 % 7 - 3) / 2 }
                let c1 = (0..<n).map { Float($0 % 3) }
                var expected = 0.0, expectedPositives = 0
                for p in 0..<n {
                    let t: Double = values[p] > 0 ? 1 : 0, s = Double(scores[p]), c = 1 + Double(c1[p])
                    expected += c * (t - s) * (t - s) - s * s
                    if values[p] > 0 { expectedPositives += 1 }
                }
                var positives = -1
                let term = encore_observed_objective(n, values, scores, c1, &positives)
                XCTAssertEqual(term, expected, "\(kernels): \(n) observations")
                XCTAssertEqual(positives, expectedPositives, "\(kernels): \(n) observations")
            }
        }
    }

    /// `allFinite` against Swift's own `isFinite`, one unusual value at every position of runs
    /// shorter and longer than a vector: every kind of infinity and NaN, and the finite values
    /// nearest them (largest, smallest normal and subnormal, negative zero).
    func testAllFiniteFindsEveryNonFiniteValueWherever() {
        let nonFinite: [Float] = [.infinity, -.infinity, .nan, -.nan, .signalingNaN, Float(bitPattern: 0x7fff_ffff)]
        let finite: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNormalMagnitude,
                               .leastNonzeroMagnitude, -0.0, 0, 1e30, -3.5]
        for n in [1, 5, 16, 17, 64, 128, 131] {
            let x = UnsafeMutablePointer<Float>.allocate(capacity: n)
            defer { x.deallocate() }
            for (index, value) in (nonFinite + finite).enumerated() {
                for position in 0..<n {
                    for j in 0..<n { x[j] = finite[(j + index) % finite.count] }
                    x[position] = value
                    XCTAssertEqual(VectorKernels.allFinite(x, n), value.isFinite, "\(value) at \(position) of \(n)")
                }
            }
            for j in 0..<n { x[j] = finite[j % finite.count] }
            XCTAssertTrue(VectorKernels.allFinite(x, n), "finite values only, \(n)")
        }
    }
}
