import Foundation
import XCTest
@testable import Encore

/// Coded confidences (`EntryConfidences`): each code decodes to the very Float the confidence
/// function gives for its weight, a coded run trains the same model as a Float one bit for bit
/// with every solver, and weights that cannot be coded fall back to Floats and still train.
final class EntryConfidencesTests: XCTestCase {
    /// A random users × items matrix whose weights come from `weight` (zeros among them when it
    /// gives them), with the last user left empty.
    private func matrix(users: Int, items: Int, density: Double, seed: UInt64, weight: (inout RandomSource) -> Float) -> SparseMatrix {
        var random = RandomSource(seed: seed)
        var rows: [UInt32] = [], columns: [UInt32] = [], values: [Float] = []
        for u in 0..<(users - 1) {
            for i in 0..<items where random.nextUniform() < density {
                rows.append(UInt32(u)); columns.append(UInt32(i)); values.append(weight(&random))
            }
        }
        return SparseMatrix(rowCount: users, columnCount: items, rows: rows, columns: columns, values: values)
    }

    /// Play counts 0–`largest`, a tenth of them 0.
    private func counts(upTo largest: Int) -> (inout RandomSource) -> Float {
        { random in random.nextUniform() < 0.1 ? 0 : Float(1 + Int(random.nextUniform() * Double(largest))) }
    }

    /// Play counts 1–40, a tenth of them 0, and 6% from a long tail of large counts: more than
    /// 256 distinct values, few entries outside the 255 commonest (one-byte codes with the rest
    /// listed apart).
    private let tailed: (inout RandomSource) -> Float = { random in
        let u = random.nextUniform()
        return u < 0.1 ? 0 : u < 0.94 ? Float(1 + Int(random.nextUniform() * 40)) : Float(100 + Int(random.nextUniform() * 100_000))
    }

    private func configurations() -> [ALSConfiguration] {
        var result: [ALSConfiguration] = []
        for solver in [ALSSolverKind.cg, .cholesky, .subspace] {
            for confidence in ConfidenceFunction.allCases {
                var c = ALSConfiguration()
                c.factors = 6
                c.iterations = 3
                c.solver = solver
                c.blockSize = 3
                c.confidence = confidence
                c.alpha = confidence == .log ? 2 : 0.7
                result.append(c)
            }
        }
        var nnls = ALSConfiguration()
        nnls.factors = 6
        nnls.iterations = 3
        nnls.solver = .cholesky
        nnls.nonnegative = true
        result.append(nnls)
        return result
    }

    func testEachCodeDecodesToTheConfidenceOfItsWeight() throws {
        for (largest, bytes) in [(200, 1), (3000, 2), (0, 1)] {
            let ratings = matrix(users: 100, items: 100, density: 0.5, seed: 7, weight: largest == 0 ? tailed : counts(upTo: largest))
            let c = ALSConfiguration()
            let rows = ImplicitALS(configuration: c, threads: 2).trainingRows(ratings, owned: false)
            XCTAssertEqual(rows.confidences.bytesPerEntry, bytes, "weights up to \(largest)")
            XCTAssertEqual(rows.confidences.exceptionCount > 0, largest == 0, "only the long tail lists entries apart")
            // Row by row, as the solvers read them (the listed entries patched in).
            let scratch = ConfidenceScratch()
            rows.withUnsafeRows { entries in
                for r in 0..<ratings.rowCount {
                    let (values, confidences) = entries.entries(ofRow: r, scratch: scratch)
                    for (q, p) in ratings.range(ofRow: r).enumerated() {
                        let expected = c.confidence.confidenceMinusOne(ratings.values[p], alpha: c.alpha, epsilon: c.epsilon)
                        XCTAssertEqual(confidences![q].bitPattern, expected.bitPattern, "row \(r) entry \(q)")
                        XCTAssertEqual(values[q] > 0, ratings.values[p] > 0, "row \(r) entry \(q)")
                    }
                }
            }
            XCTAssertNil(rows.weights, "the codes stand for the weights")
            for p in 0..<ratings.nonZeroCount {
                let expected = c.confidence.confidenceMinusOne(ratings.values[p], alpha: c.alpha, epsilon: c.epsilon)
                XCTAssertEqual(rows.confidences[p].bitPattern, expected.bitPattern, "entry \(p), weight \(ratings.values[p])")
            }
            for r in 0..<ratings.rowCount {
                XCTAssertEqual(rows.positives(ofRow: r), ratings.range(ofRow: r).filter { ratings.values[$0] > 0 }.count, "row \(r)")
            }
        }
    }

    func testACodedRunTrainsTheFloatRunsModelBitForBit() throws {
        for (ratings, c) in [matrix(users: 40, items: 30, density: 0.4, seed: 11, weight: counts(upTo: 40)),
                             matrix(users: 100, items: 100, density: 0.5, seed: 12, weight: tailed),
                             matrix(users: 40, items: 30, density: 0.4, seed: 13, weight: counts(upTo: 3000))]
            .flatMap({ ratings in configurations().map { (ratings, $0) } }) {
            var coded = ImplicitALS(configuration: c, threads: 2)
            XCTAssertLessThan(coded.trainingRows(ratings, owned: false).confidences.bytesPerEntry, 4)
            var plain = coded
            plain.codesConfidences = false
            XCTAssertEqual(plain.trainingRows(ratings, owned: false).confidences.bytesPerEntry, 4)
            let label = "\(c.solver) \(c.confidence) nonnegative \(c.nonnegative)"
            // Both entry points: the matrix borrowed (plain fit) and handed over with its transpose.
            let (codedHandedOver, codedWeights) = try coded.fitSettingWeightsAside(ratings, transpose: ratings.transposed())
            let (plainHandedOver, _) = try plain.fitSettingWeightsAside(ratings, transpose: ratings.transposed())
            coded.codesConfidences = true
            let codedBorrowed = try coded.fit(ratings)
            let plainBorrowed = try plain.fit(ratings)
            XCTAssertEqual(codedWeights, ratings, "\(label): the weights come back as they were")
            for (a, b) in [(codedHandedOver, plainHandedOver), (codedBorrowed, plainBorrowed), (codedHandedOver, plainBorrowed)] {
                XCTAssertEqual(a.userFactors.packed().map(\.bitPattern), b.userFactors.packed().map(\.bitPattern), label)
                XCTAssertEqual(a.itemFactors.packed().map(\.bitPattern), b.itemFactors.packed().map(\.bitPattern), label)
                XCTAssertEqual(a.lossHistory.map(\.bitPattern), b.lossHistory.map(\.bitPattern), label)
            }
        }
    }

    func testACodedHalfStepSolvesTheDenseNormalEquations() throws {
        var c = ALSConfiguration.sparkDefaults
        c.factors = 5
        c.alpha = 0.8
        let ratings = matrix(users: 14, items: 20, density: 0.5, seed: 5, weight: counts(upTo: 9))
        let trainer = ImplicitALS(configuration: c, threads: 2)
        let rows = trainer.trainingRows(ratings, owned: false)
        XCTAssertEqual(rows.confidences.bytesPerEntry, 1)
        let items = TurnedFactors(ImplicitALS.initialFactors(rows: 0..<20, k: 5, seed: 4, side: .items, threads: 1))
        let users = TurnedFactors(DenseMatrix(rows: 14, columns: 5))
        try trainer.halfStepKeepingEigenbasis(target: users, source: items, rows: rows, side: .users)
        let y = DenseReference.rows(items.factors(threads: 1))
        for u in 0..<ratings.rowCount {
            let entries = ratings.range(ofRow: u).map { (column: Int(ratings.indices[$0]), value: ratings.values[$0]) }
            let reference = DenseReference.rowSolution(entries: entries, y: y, configuration: c)
            let solved = users.factors(threads: 1).rowArray(u)
            for j in 0..<5 { XCTAssertEqual(Double(solved[j]), reference[j], accuracy: 1e-5 * max(1, abs(reference[j])), "user \(u)") }
        }
    }

    func testCodingAMatrixHandedOverLetsGoOfItsWeightsButNoOneElses() throws {
        // Large enough for whole megabytes of weights to be handed back to the kernel as coded.
        let (rowCount, perRow) = (1000, 2500)
        var random = RandomSource(seed: 21)
        let weights = (0..<(rowCount * perRow)).map { _ in Float(Int(random.nextUniform() * 300)) }
        let ratings = SparseMatrix(uncheckedRowCount: rowCount, columnCount: perRow, offsets: (0...rowCount).map { $0 * perRow },
                                   indices: (0..<(rowCount * perRow)).map { UInt32($0 % perRow) }, values: weights)
        let c = ALSConfiguration()
        let rows = ImplicitALS(configuration: c, threads: 2).trainingRows(ratings, owned: true)
        XCTAssertEqual(rows.confidences.bytesPerEntry, 2)
        // `weights` (and `ratings`) still share the array handed over: they must be intact.
        XCTAssertEqual(weights, ratings.values.array)
        var mismatches = 0
        for p in stride(from: 0, to: weights.count, by: 7) {
            let expected = c.confidence.confidenceMinusOne(weights[p], alpha: c.alpha, epsilon: c.epsilon)
            if rows.confidences[p].bitPattern != expected.bitPattern { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testWeightsTooVariedToCodeFallBackToFloatsAndTrainTheSameModel() throws {
        // Arbitrary real weights: more distinct values than two-byte codes can name.
        let ratings = matrix(users: 300, items: 400, density: 0.6, seed: 9) { random in Float(random.nextUniform() * 50) + 0.001 }
        XCTAssertGreaterThan(Set(ratings.values.array).count, EntryConfidences.largestTable)
        var c = ALSConfiguration()
        c.factors = 4
        c.iterations = 2
        var coded = ImplicitALS(configuration: c, threads: 2)
        let rows = coded.trainingRows(ratings, owned: false)
        XCTAssertEqual(rows.confidences.bytesPerEntry, 4)
        XCTAssertNil(rows.weights, "no confidence underflows, so the Floats stand for the weights")
        let (model, weights) = try coded.fitSettingWeightsAside(ratings, transpose: ratings.transposed())
        XCTAssertEqual(weights, ratings)
        coded.codesConfidences = false
        let plain = try coded.fit(ratings)
        XCTAssertEqual(model.userFactors.packed().map(\.bitPattern), plain.userFactors.packed().map(\.bitPattern))
        XCTAssertEqual(model.itemFactors.packed().map(\.bitPattern), plain.itemFactors.packed().map(\.bitPattern))
        XCTAssertTrue(model.userFactors.packed().allSatisfy(\.isFinite))
    }

    func testAConfidenceThatUnderflowsKeepsTheWeights() throws {
        // α·r underflows to 0 for the smallest subnormal weight: it must still count as played.
        var c = ALSConfiguration.sparkDefaults
        c.factors = 3
        c.alpha = 0.25
        let ratings = matrix(users: 10, items: 8, density: 0.6, seed: 2) { random in random.nextUniform() < 0.5 ? Float.leastNonzeroMagnitude : 3 }
        let rows = ImplicitALS(configuration: c, threads: 2).trainingRows(ratings, owned: false)
        XCTAssertNotNil(rows.weights)
        XCTAssertEqual(rows.confidences.bytesPerEntry, 4)
        for r in 0..<ratings.rowCount { XCTAssertEqual(rows.positives(ofRow: r), ratings.range(ofRow: r).count) }
    }
}
