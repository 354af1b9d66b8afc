import XCTest
@testable import Encore

/// EASE against a dense reference: B from a Gaussian-elimination inverse, written out here.
final class EASERecommenderTests: XCTestCase {
    /// Users × items plays: u0 {0:3, 1:1}, u1 {0:2, 1:5, 2:1}, u2 {2:4, 3:2}, u3 {1:1, 3:7}, u4 {0:1, 2:2}.
    let matrix = SparseMatrix(rowCount: 5, columnCount: 4, rows: [0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4],
                              columns: [0, 1, 0, 1, 2, 2, 3, 1, 3, 0, 2], values: [3, 1, 2, 5, 1, 4, 2, 1, 7, 1, 2])

    /// B = I − P·diag(1/diag P), P = (XᵀX + λI)⁻¹, computed densely and independently.
    func referenceB(_ input: EASEInput, regularization: Double) -> (x: [[Double]], b: [[Double]]) {
        let n = matrix.columnCount
        var x = [[Double]](repeating: [Double](repeating: 0, count: n), count: matrix.rowCount)
        for u in 0..<matrix.rowCount {
            for p in matrix.range(ofRow: u) { x[u][Int(matrix.indices[p])] = input == .binary ? 1 : Foundation.log(1 + Double(matrix.values[p])) }
        }
        var g = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n { for j in 0..<n { g[i][j] = (0..<x.count).reduce(0) { $0 + x[$1][i] * x[$1][j] } + (i == j ? regularization : 0) } }
        // Column j of P solves G p = e_j.
        let columns = (0..<n).map { j in DenseReference.solve(g, (0..<n).map { $0 == j ? 1 : 0 }) }
        let b = (0..<n).map { i in (0..<n).map { j in i == j ? 0 : -columns[j][i] / columns[j][j] } }
        return (x, b)
    }

    func testWeightsAndScoresMatchTheDenseReference() throws {
        for input in EASEInput.allCases {
            for precision in EASEPrecision.allCases {
                let ease = try EASERecommender(matrix, regularization: 0.5, input: input, precision: precision, threads: 2)
                let (x, b) = referenceB(input, regularization: 0.5)
                let n = matrix.columnCount
                for i in 0..<n {
                    XCTAssertEqual(ease.weights[i * n + i], 0, "diag(B) = 0")
                    for j in 0..<n { XCTAssertEqual(Double(ease.weights[i * n + j]), b[i][j], accuracy: 1e-5, "\(input) \(precision) B[\(i)][\(j)]") }
                }
                var scores = [Float](repeating: .nan, count: n)
                for u in 0..<matrix.rowCount {
                    scores.withUnsafeMutableBufferPointer { ease.scoreItems(forUser: u, into: $0) }
                    for j in 0..<n {
                        let expected = (0..<n).reduce(0.0) { $0 + x[u][$1] * b[$1][j] }
                        XCTAssertEqual(Double(scores[j]), expected, accuracy: 1e-4, "\(input) \(precision) user \(u) item \(j)")
                    }
                }
            }
        }
    }

    func testRanksTheCoListenedItemFirst() throws {
        // Items 0 and 1 are always played together, item 2 alone: a listener of item 0 gets item 1, then 2.
        let m = SparseMatrix(rowCount: 5, columnCount: 3, rows: [0, 0, 1, 1, 2, 2, 3, 4], columns: [0, 1, 0, 1, 0, 1, 2, 0], values: [1, 1, 1, 1, 1, 1, 1, 1])
        let ease = try EASERecommender(m, regularization: 1, input: .binary, threads: 1)
        XCTAssertEqual(TopNRecommendation.recommend(ease, user: 4, count: 2, seen: m).map(\.index), [1, 2])
    }

    func testPassesTheSharedChecks() throws {
        let data = try RecommenderConformance.trainingData()
        for input in EASEInput.allCases {
            try RecommenderConformance.check(EASERecommender(data.userItemMatrix(), regularization: 1, input: input, threads: 2), data: data)
        }
    }

    func testRefusesAMatrixTooLargeForMemorySayingHowLarge() throws {
        let wide = SparseMatrix(rowCount: 1, columnCount: 2000, rows: [0], columns: [5], values: [1])
        XCTAssertThrowsError(try EASERecommender(wide, regularization: 1, precision: .float, memoryLimit: 1_000_000)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("2000 × 2000") && message.contains("16.0 MB") && message.contains("1.0 MB of memory available"), message)
        }
        XCTAssertEqual(EASERecommender.bytesNeeded(items: 2000, precision: .double), 48_000_000)
        XCTAssertThrowsError(try EASERecommender.checkSize(items: 50_000, precision: .float, memoryLimit: .max)) { error in
            XCTAssertTrue("\(error)".contains("10.0 GB") && "\(error)".contains("at most 46340 items"), "\(error)")
        }
        XCTAssertThrowsError(try EASERecommender(matrix, regularization: 0)) { error in
            XCTAssertEqual(error as? EncoreError, .invalidParameter(name: "regularization", value: "0.0", requirement: "be a finite number > 0"))
        }
    }
}

/// The EASE tuner: every setting tried on validation, the best by the metric, the test part once.
final class EASETunerTests: XCTestCase {
    func testTriesEveryGridSettingAndScoresTheBestOnTheTestPart() throws {
        let data = try RecommenderConformance.trainingData()
        let split = try TrainTestSplit(data, strategy: .random, testFraction: 0.2, seed: 3)
        let settings = EASETuner.grid(inputs: EASEInput.allCases, base: { $0 == .binary ? 1 : 2 })
        XCTAssertEqual(settings.map(\.regularization), [0.25, 0.5, 1, 2, 4, 0.5, 1, 2, 4, 8])
        let tuner = EASETuner(settings: settings, precision: .float, metric: .ndcg, k: 3, strategy: .random, validationFraction: 0.2, seed: 3, threads: 2)
        var numbers: [Int] = []
        let report = try tuner.run(split) { _, number, _ in numbers.append(number) }
        XCTAssertEqual(numbers, Array(1...10))
        XCTAssertEqual(report.trials.map(\.setting), settings)
        XCTAssertEqual(report.best.validation.ndcg, report.trials.map(\.validation.ndcg).max())
        // The test score is the best setting's, rebuilt on the whole training part.
        let evaluator = try Evaluator(split: split, k: 3, threads: 2)
        let rebuilt = try EASERecommender(evaluator.train, regularization: report.best.setting.regularization, input: report.best.setting.input, threads: 2)
        XCTAssertEqual(report.test.ndcg, evaluator.evaluate(rebuilt).ndcg, accuracy: 1e-12)
    }
}
