import Foundation
import XCTest
@testable import Encore

/// Rendle's iALS objective (frequency-scaled λ with exponent ν, weight α₀ on every pair's squared
/// score, initial scale) and the iALS++ subspace solver, against the cell-by-cell dense
/// reference in DenseReference.
final class RendleObjectiveTests: XCTestCase {
    /// A random sparse matrix with some zero weights and one empty row (as SolverTests').
    private func randomMatrix(users: Int, items: Int, density: Double, seed: UInt64) -> (SparseMatrix, [[Float]]) {
        var random = RandomSource(seed: seed)
        var dense = [[Float]](repeating: [Float](repeating: 0, count: items), count: users)
        var rows: [UInt32] = [], columns: [UInt32] = [], values: [Float] = []
        for u in 0..<(users - 1) {
            for i in 0..<items where random.nextUniform() < density {
                let value = random.nextUniform() < 0.1 ? 0 : Float(1 + Int(random.nextUniform() * 20))
                dense[u][i] = value
                rows.append(UInt32(u)); columns.append(UInt32(i)); values.append(value)
            }
        }
        return (SparseMatrix(rowCount: users, columnCount: items, rows: rows, columns: columns, values: values), dense)
    }

    /// Exact-solver configurations with Rendle's options switched on.
    private func rendleConfigurations() -> [ALSConfiguration] {
        var result: [ALSConfiguration] = []
        for (exponent, weight) in [(Float(0.6), Float(0.3)), (1, 0.05), (0, 1.5), (2, 0.02)] {
            for confidence in ConfidenceFunction.allCases {
                var c = ALSConfiguration.sparkDefaults
                c.factors = 5
                c.iterations = 3
                c.regularization = 0.2
                c.alpha = confidence == .log ? 2 : 0.7
                c.confidence = confidence
                c.regularizationExponent = exponent
                c.unobservedWeight = weight
                result.append(c)
            }
        }
        return result
    }

    func testTrainedVectorsMinimiseTheRowObjectiveCellByCell() throws {
        let (matrix, dense) = randomMatrix(users: 12, items: 9, density: 0.4, seed: 3)
        for c in rendleConfigurations() {
            let model = try ImplicitALS(configuration: c, threads: 2).fit(matrix)
            let y = DenseReference.rows(model.itemFactors)
            for u in 0..<matrix.rowCount {
                let entries = matrix.columns(ofRow: u).map { (column: Int($0), value: dense[u][Int($0)]) }
                let reference = DenseReference.rowSolution(entries: entries, y: y, configuration: c)
                let trained = model.userFactors.rowArray(u)
                for j in 0..<c.factors {
                    XCTAssertEqual(Double(trained[j]), reference[j], accuracy: 1e-4 * max(1, abs(reference[j])),
                                   "ν \(c.regularizationExponent!) α₀ \(c.unobservedWeight) \(c.confidence): user \(u)")
                }
            }
        }
    }

    func testLossNeverRisesAndMatchesTheObjectiveSummedOverEveryCell() throws {
        let (matrix, dense) = randomMatrix(users: 30, items: 25, density: 0.2, seed: 9)
        for var c in rendleConfigurations() {
            for solver in [ALSSolverKind.cholesky, .subspace] {
                c.solver = solver
                c.blockSize = 2
                c.iterations = 8
                let model = try ImplicitALS(configuration: c, threads: 2).fit(matrix)
                for (before, after) in zip(model.lossHistory, model.lossHistory.dropFirst()) {
                    XCTAssertLessThanOrEqual(after, before * (1 + 1e-6), "\(solver): loss rose with ν \(c.regularizationExponent!) α₀ \(c.unobservedWeight)")
                }
                let brute = DenseReference.objective(x: DenseReference.rows(model.userFactors), y: DenseReference.rows(model.itemFactors),
                                                     ratings: dense, configuration: c)
                XCTAssertEqual(model.lossHistory.last!, brute, accuracy: 1e-4 * brute, "\(solver)")
            }
        }
    }

    /// ν = 1 with α₀ = 0 is Spark's scaling and ν = 0 is flat: the same model, bit for bit.
    func testExponentOneAndZeroGiveSparkAndFlatModelsBitForBit() throws {
        let (matrix, _) = randomMatrix(users: 40, items: 30, density: 0.2, seed: 5)
        for solver in [ALSSolverKind.cholesky, .cg] {
            for (scaling, exponent) in [(RegularizationScaling.spark, Float(1)), (.flat, 0)] {
                var classic = ALSConfiguration()
                classic.factors = 8
                classic.iterations = 4
                classic.solver = solver
                classic.regularizationScaling = scaling
                var rendle = classic
                rendle.regularizationScaling = scaling == .spark ? .flat : .spark
                rendle.regularizationExponent = exponent
                let one = try ImplicitALS(configuration: classic, threads: 2).fit(matrix)
                let other = try ImplicitALS(configuration: rendle, threads: 2).fit(matrix)
                XCTAssertEqual(one.userFactors.packed(), other.userFactors.packed(), "\(solver) \(scaling)")
                XCTAssertEqual(one.itemFactors.packed(), other.itemFactors.packed(), "\(solver) \(scaling)")
                XCTAssertEqual(one.lossHistory, other.lossHistory)
            }
        }
    }

    func testSubspaceGivesTheSameModelForAnyThreadCount() throws {
        // More rows than one chunk of the half-step (256), so that chunks meet threads.
        let (matrix, _) = randomMatrix(users: 600, items: 300, density: 0.05, seed: 4)
        var c = ALSConfiguration()
        c.factors = 12
        c.iterations = 3
        c.solver = .subspace
        c.blockSize = 5
        c.unobservedWeight = 0.1
        c.regularizationExponent = 0.5
        let one = try ImplicitALS(configuration: c, threads: 1).fit(matrix)
        let three = try ImplicitALS(configuration: c, threads: 3).fit(matrix)
        XCTAssertEqual(one.userFactors.packed(), three.userFactors.packed())
        XCTAssertEqual(one.itemFactors.packed(), three.itemFactors.packed())
        XCTAssertEqual(one.lossHistory, three.lossHistory)
    }

    func testInitialScaleSetsTheLengthOfTheStartingVectors() throws {
        let (matrix, _) = randomMatrix(users: 10, items: 7, density: 0.3, seed: 2)
        var c = ALSConfiguration()
        c.factors = 6
        c.iterations = 0
        c.initialScale = 0.25
        let model = try ImplicitALS(configuration: c, threads: 1).fit(matrix)
        for u in 0..<matrix.rowCount {
            let norm = model.userFactors.rowArray(u).map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            XCTAssertEqual(norm, 0.25, accuracy: 1e-6)
        }
        c.initialScale = 1
        let unit = try ImplicitALS(configuration: c, threads: 1).fit(matrix)
        XCTAssertEqual(unit.userFactors.packed(), ImplicitALS.initialFactors(rows: 0..<10, k: 6, seed: 0, side: .users, threads: 1).packed())
    }

    /// A configuration written before these settings existed (no `regularizationExponent`,
    /// `unobservedWeight`, `initialScale`, `blockSize`) reads with their defaults.
    func testConfigurationWrittenBeforeTheNewSettingsDecodesWithDefaults() throws {
        let old = """
        {"factors":12,"iterations":7,"regularization":0.5,"alpha":3,"confidence":"linear","epsilon":1,
         "regularizationScaling":"flat","solver":"cholesky","cgSteps":3,"nonnegative":false,"seed":4}
        """
        let c = try JSONDecoder().decode(ALSConfiguration.self, from: Data(old.utf8))
        XCTAssertEqual(c.factors, 12)
        XCTAssertEqual(c.regularizationScaling, .flat)
        XCTAssertNil(c.regularizationExponent)
        XCTAssertEqual(c.effectiveRegularizationExponent, 0)
        XCTAssertEqual(c.unobservedWeight, 0)
        XCTAssertEqual(c.initialScale, 1)
        XCTAssertEqual(c.blockSize, ALSConfiguration().blockSize)
        var rendle = c
        rendle.regularizationExponent = 0.7
        rendle.unobservedWeight = 0.1
        rendle.solver = .subspace
        XCTAssertEqual(try JSONDecoder().decode(ALSConfiguration.self, from: JSONEncoder().encode(rendle)), rendle)
    }

    /// Half-steps of block coordinate steps against fixed items converge to each row's exact
    /// solution; with one block of all k dimensions a single step is that solution.
    func testSubspaceStepsConvergeToTheDenseRowSolution() throws {
        let (matrix, dense) = randomMatrix(users: 15, items: 20, density: 0.3, seed: 8)
        for (blockSize, halfSteps) in [(6, 1), (2, 200), (4, 100)] {
            var c = ALSConfiguration()
            c.factors = 6
            c.solver = .subspace
            c.blockSize = blockSize
            c.regularization = 0.1
            c.regularizationExponent = 0.5
            c.unobservedWeight = 0.2
            let trainer = ImplicitALS(configuration: c, threads: 2)
            let items = TurnedFactors(ImplicitALS.initialFactors(rows: 0..<20, k: 6, seed: 3, side: .items, threads: 1))
            let users = TurnedFactors(ImplicitALS.initialFactors(rows: 0..<15, k: 6, seed: 3, side: .users, threads: 1))
            for _ in 0..<halfSteps {
                try trainer.halfStepKeepingEigenbasis(target: users, source: items, ratings: matrix, side: .users)
            }
            let y = DenseReference.rows(items.factors(threads: 1))
            for u in 0..<matrix.rowCount {
                let entries = matrix.columns(ofRow: u).map { (column: Int($0), value: dense[u][Int($0)]) }
                let reference = DenseReference.rowSolution(entries: entries, y: y, configuration: c)
                let solved = users.factors(threads: 1).rowArray(u)
                for j in 0..<6 {
                    XCTAssertEqual(Double(solved[j]), reference[j], accuracy: 2e-4 * max(1, abs(reference[j])), "B \(blockSize): user \(u)")
                }
            }
        }
    }

    /// The same on long rows (36 observations each on average, so Σ c₁ y_B y_Bᵀ goes through
    /// SYRK and the gather's vector loop runs), with blocks that do not divide k (8, 8, 4) and
    /// a row count that leaves the last group of lanes part full (20 = 8 + 8 + 4, the last row
    /// empty).
    func testSubspaceStepsConvergeOnLongRowsWithPartGroupsAndBlocks() throws {
        let (matrix, dense) = randomMatrix(users: 20, items: 60, density: 0.6, seed: 12)
        let k = 20
        for blockSize in [8, 16] {
            var c = ALSConfiguration()
            c.factors = k
            c.solver = .subspace
            c.blockSize = blockSize
            c.regularization = 0.5
            c.regularizationExponent = 0.5
            c.unobservedWeight = 0.05
            let trainer = ImplicitALS(configuration: c, threads: 2)
            let items = TurnedFactors(ImplicitALS.initialFactors(rows: 0..<60, k: k, seed: 6, side: .items, threads: 1))
            let users = TurnedFactors(ImplicitALS.initialFactors(rows: 0..<20, k: k, seed: 6, side: .users, threads: 1))
            for _ in 0..<150 {
                try trainer.halfStepKeepingEigenbasis(target: users, source: items, ratings: matrix, side: .users)
            }
            let y = DenseReference.rows(items.factors(threads: 1))
            for u in 0..<matrix.rowCount {
                let entries = matrix.columns(ofRow: u).map { (column: Int($0), value: dense[u][Int($0)]) }
                // The last row is left empty by `randomMatrix`: a lane with no observations.
                if u < matrix.rowCount - 1 { XCTAssertGreaterThanOrEqual(entries.count, 16, "user \(u) is long enough for the SYRK path") }
                let reference = DenseReference.rowSolution(entries: entries, y: y, configuration: c)
                let solved = users.factors(threads: 1).rowArray(u)
                for j in 0..<k {
                    XCTAssertEqual(Double(solved[j]), reference[j], accuracy: 2e-4 * max(1, abs(reference[j])), "B \(blockSize): user \(u)")
                }
            }
        }
    }

    /// One half-step is one sweep of block Gauss–Seidel on each row's dense system: every block
    /// step sees the steps before it, through G and through the observed scores it keeps. (The
    /// convergence tests cannot tell: stale scores reach the same fixed point.)
    func testOneSubspaceHalfStepIsOneBlockGaussSeidelSweep() throws {
        let (matrix, dense) = randomMatrix(users: 12, items: 40, density: 0.5, seed: 21)
        let k = 12
        var c = ALSConfiguration()
        c.factors = k
        c.solver = .subspace
        c.blockSize = 5
        c.regularization = 0.5
        c.regularizationExponent = 0.5
        c.unobservedWeight = 0.1
        let items = TurnedFactors(ImplicitALS.initialFactors(rows: 0..<40, k: k, seed: 2, side: .items, threads: 1))
        let users = TurnedFactors(ImplicitALS.initialFactors(rows: 0..<12, k: k, seed: 2, side: .users, threads: 1))
        let start = DenseReference.rows(users.factors(threads: 1))
        try ImplicitALS(configuration: c, threads: 2).halfStepKeepingEigenbasis(target: users, source: items, ratings: matrix, side: .users)
        let y = DenseReference.rows(items.factors(threads: 1))
        for u in 0..<matrix.rowCount {
            let entries = matrix.columns(ofRow: u).map { (column: Int($0), value: dense[u][Int($0)]) }
            let (a, b) = DenseReference.rowSystem(entries: entries, y: y, configuration: c)
            var x = start[u]
            for first in stride(from: 0, to: k, by: 5) {
                let block = Array(first..<min(k, first + 5))
                let residual = block.map { i in b[i] - (0..<k).reduce(0) { $0 + a[i][$1] * x[$1] } }
                let step = DenseReference.solve(block.map { i in block.map { a[i][$0] } }, residual)
                for (i, j) in block.enumerated() { x[j] += step[i] }
            }
            let solved = users.factors(threads: 1).rowArray(u)
            for j in 0..<k {
                XCTAssertEqual(Double(solved[j]), x[j], accuracy: 1e-4 * max(1, abs(x[j])), "user \(u), dimension \(j)")
            }
        }
    }
}
