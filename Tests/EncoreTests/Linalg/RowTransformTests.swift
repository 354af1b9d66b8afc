import XCTest
@testable import Encore

/// RowTransform against the product computed by hand in Double, for every tiling path.
final class RowTransformTests: XCTestCase {
    func testEveryRowIsMultipliedByTheMatrixOrItsTranspose() {
        forEachKernelSet { kernels in
            var random = RandomSource(seed: 8)
            // k picks the column tiles (16 to 64 wide, one or several), the counts the row paths
            // (blocks of four and single rows).
            for k in [3, 16, 20, 64, 80, 128, 130] {
                let m = (0..<(k * k)).map { _ in random.nextUniform() * 2 - 1 }
                for count in [1, 4, 7, 45] {
                    let input = DenseMatrix(rows: count + 2, columns: k, values: (0..<((count + 2) * k)).map { _ in Float(random.nextUniform() * 2 - 1) })
                    for transposed in [false, true] {
                        let output = DenseMatrix(rows: count + 2, columns: k)
                        // Poison the padding and the rows outside the range: the first must come out zero, the second untouched.
                        output.storage.update(repeating: .nan, count: output.rows * output.stride)
                        let transform = RowTransform(m, k: k, stride: input.stride, transposed: transposed)
                        transform.apply(to: input, rows: 1..<(count + 1), into: output)
                        for r in 1...count {
                            for j in 0..<k {
                                var expected = 0.0
                                for p in 0..<k { expected += Double(input[r, p]) * (transposed ? m[j * k + p] : m[p * k + j]) }
                                XCTAssertEqual(Double(output[r, j]), expected, accuracy: 1e-5 * Double(k), "\(kernels): k \(k), row \(r), column \(j)")
                            }
                            for j in k..<output.stride { XCTAssertEqual(output[r, j], 0, "\(kernels): padding of row \(r), k \(k)") }
                        }
                        XCTAssertTrue(output[0, 0].isNaN && output[count + 1, 0].isNaN, "rows outside the range are not written")
                    }
                }
            }
        }
    }
}
