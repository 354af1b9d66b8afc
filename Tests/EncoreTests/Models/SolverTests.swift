import XCTest
@testable import Encore

/// Both row solvers and full training, against the dense reference in DenseReference.
final class SolverTests: XCTestCase {
    /// A random sparse matrix with some zero weights and one empty row.
    func randomMatrix(users: Int, items: Int, density: Double, seed: UInt64) -> (SparseMatrix, [[Float]]) {
        var random = RandomSource(seed: seed)
        var dense = [[Float]](repeating: [Float](repeating: 0, count: items), count: users)
        var rows: [UInt32] = [], columns: [UInt32] = [], values: [Float] = []
        for u in 0..<users where u != users - 1 {
            for i in 0..<items where random.nextUniform() < density {
                let value = random.nextUniform() < 0.1 ? 0 : Float(1 + Int(random.nextUniform() * 20))
                dense[u][i] = value
                rows.append(UInt32(u)); columns.append(UInt32(i)); values.append(value)
            }
        }
        return (SparseMatrix(rowCount: users, columnCount: items, rows: rows, columns: columns, values: values), dense)
    }

    func configurations() -> [ALSConfiguration] {
        var result: [ALSConfiguration] = []
        for scaling in RegularizationScaling.allCases {
            for confidence in ConfidenceFunction.allCases {
                // Spark's preset as the base: these checks are of the exact solver at 10 iterations.
                var c = ALSConfiguration.sparkDefaults
                c.factors = 6
                c.regularization = 0.3
                c.alpha = confidence == .log ? 2 : 0.7
                c.confidence = confidence
                c.regularizationScaling = scaling
                result.append(c)
            }
        }
        return result
    }

    func testCholeskyRowSolveMatchesDenseNormalEquations() throws {
        var random = RandomSource(seed: 11)
        for configuration in configurations() {
            for trial in 0..<5 {
                let itemCount = 15, k = configuration.factors
                let source = DenseMatrix(rows: itemCount, columns: k, values: (0..<(itemCount * k)).map { _ in Float(random.nextGaussian()) })
                let chosen = (0..<itemCount).filter { _ in random.nextUniform() < 0.4 }
                let values = chosen.map { _ in Float(Int(random.nextUniform() * 30)) }
                var gram = [Double](repeating: 0, count: k * k)
                gram.withUnsafeMutableBufferPointer { BLAS.gram(source.storage, rows: itemCount, k: k, lda: source.stride, into: $0.baseAddress!) }
                let solved = try ImplicitALS(configuration: configuration, threads: 1)
                    .solveRow(columns: chosen.map(UInt32.init), values: values, source: source, gram: gram)
                let reference = DenseReference.rowSolution(entries: Array(zip(chosen, values)).map { ($0.0, $0.1) }, y: DenseReference.rows(source), configuration: configuration)
                for j in 0..<k {
                    XCTAssertEqual(Double(solved[j]), reference[j], accuracy: 1e-4 * max(1, abs(reference[j])), "\(configuration.regularizationScaling) \(configuration.confidence) trial \(trial) j \(j)")
                }
            }
        }
    }

    /// A half-step of the exact solver works in the Gram eigenbasis: rows shorter than k through
    /// the Woodbury identity, longer ones through the k×k system. Every row, on either side of
    /// that line, zero weights and a huge weight included, must match the dense normal equations.
    func testExactHalfStepSolvesShortAndLongRowsLikeDenseNormalEquations() throws {
        try forEachKernelSet { kernels in
            var random = RandomSource(seed: 17)
            let k = 24, sourceCount = 120
            let source = DenseMatrix(rows: sourceCount, columns: k, values: (0..<(sourceCount * k)).map { _ in Float(random.nextGaussian() * 0.3) })
            let lengths = [0, 1, 2, 5, 12, 23, 24, 25, 60, 120]
            var rows: [UInt32] = [], columns: [UInt32] = [], values: [Float] = []
            var entries: [[(column: Int, value: Float)]] = []
            for (row, length) in lengths.enumerated() {
                var chosen = Array(0..<sourceCount)
                for i in 0..<length { chosen.swapAt(i, i + Int(random.nextUniform() * Double(sourceCount - i))) }
                var rowEntries: [(column: Int, value: Float)] = []
                for column in chosen.prefix(length).sorted() {
                    let draw = random.nextUniform()
                    let value: Float = draw < 0.1 ? 0 : draw > 0.97 ? 5000 : Float(1 + Int(random.nextUniform() * 40))
                    rows.append(UInt32(row)); columns.append(UInt32(column)); values.append(value)
                    rowEntries.append((column, value))
                }
                entries.append(rowEntries)
            }
            let ratings = SparseMatrix(rowCount: lengths.count, columnCount: sourceCount, rows: rows, columns: columns, values: values)
            var gram = [Double](repeating: 0, count: k * k)
            gram.withUnsafeMutableBufferPointer { BLAS.gram(source.storage, rows: sourceCount, k: k, lda: source.stride, into: $0.baseAddress!) }
            for var configuration in configurations() {
                for regularization: Float in [0, 0.3, 4] {
                    configuration.factors = k
                    configuration.regularization = regularization
                    let turned = TurnedFactors(DenseMatrix(rows: lengths.count, columns: k))
                    try ImplicitALS(configuration: configuration, threads: 2)
                        .halfStepKeepingEigenbasis(target: turned, source: TurnedFactors(source.copy()),
                                                   ratings: ratings, gram: gram, side: .users)  // a copy: the half-step turns its source in place
                    let target = turned.factors(threads: 1)
                    for (row, rowEntries) in entries.enumerated() {
                        let reference = DenseReference.rowSolution(entries: rowEntries, y: DenseReference.rows(source), configuration: configuration)
                        let solved = target.rowArray(row)
                        // As close as Float storage allows: long rows are factorised in Float and
                        // refined, and must still give the Double solution.
                        let scale = reference.map(abs).max() ?? 0
                        for j in 0..<k {
                            XCTAssertEqual(Double(solved[j]), reference[j], accuracy: 1e-6 * scale,
                                           "\(kernels): \(configuration.regularizationScaling) \(configuration.confidence) λ \(regularization) row of \(lengths[row]) j \(j)")
                        }
                    }
                }
            }
        }
    }

    /// A row longer than the streaming threshold is gathered a block at a time on every CG pass
    /// instead of copied whole (the memory of a hugely popular item's row): the same bits as the
    /// copied row, objective included, for rows shorter and longer than a block, G full or
    /// diagonal, confidences given or computed.
    func testStreamedLongRowsGiveTheBitsOfCopiedRows() {
        forEachKernelSet { kernels in
            var random = RandomSource(seed: 23)
            let k = 20, sourceCount = 300
            let source = DenseMatrix(rows: sourceCount, columns: k, values: (0..<(sourceCount * k)).map { _ in Float(random.nextGaussian() * 0.4) })
            var gram = [Double](repeating: 0, count: k * k)
            gram.withUnsafeMutableBufferPointer { BLAS.gram(source.storage, rows: sourceCount, k: k, lda: source.stride, into: $0.baseAddress!) }
            var configuration = ALSConfiguration()
            configuration.factors = k
            configuration.solver = .cg
            let full = GramStorage(NormalEquations.weightedGram(gram, configuration), isDiagonal: false)
            let diagonal = GramStorage((0..<k).map { gram[$0 * k + $0] }, isDiagonal: true)
            for storage in [full, diagonal] {
                for length in [1, 31, 32, 33, 200, 300] {
                    let columns = Array((0..<sourceCount).shuffled(using: &random).prefix(length)).sorted().map(UInt32.init)
                    let values = columns.map { _ in random.nextUniform() < 0.1 ? Float(0) : Float(1 + Int(random.nextUniform() * 30)) }
                    let given = values.map { configuration.confidence.confidenceMinusOne($0, alpha: configuration.alpha, epsilon: configuration.epsilon) }
                    let start = (0..<k).map { _ in Float(random.nextGaussian() * 0.1) }
                    for confidences in [nil, given] {
                        var solutions: [[UInt32]] = [], objectives: [Double?] = []
                        for threshold in [1 << 18, 0] {
                            let solver = RowSolver(k: k, configuration: configuration, streamingThreshold: threshold)
                            var x = start
                            let term = columns.withUnsafeBufferPointer { c in values.withUnsafeBufferPointer { v in (confidences ?? []).withUnsafeBufferPointer { g in
                                x.withUnsafeMutableBufferPointer { x in
                                    solver.solve(columns: c, values: v, confidences: confidences == nil ? nil : g.baseAddress, source: source, gram: storage.view,
                                                 target: x.baseAddress!, withObjective: true)
                                }
                            } } }
                            solutions.append(x.map(\.bitPattern))
                            objectives.append(term)
                        }
                        XCTAssertEqual(solutions[0], solutions[1], "\(kernels): row of \(length)")
                        XCTAssertEqual(objectives[0], objectives[1], "\(kernels): row of \(length)")
                        XCTAssertNotNil(objectives[0])
                    }
                }
            }
        }
    }

    func testConjugateGradientWithEnoughStepsConvergesToCholesky() throws {
        try forEachKernelSet { kernels in
            var random = RandomSource(seed: 5)
            for var configuration in configurations() {
                let itemCount = 20, k = configuration.factors
                let source = DenseMatrix(rows: itemCount, columns: k, values: (0..<(itemCount * k)).map { _ in Float(random.nextGaussian() * 0.5) })
                let chosen = (0..<itemCount).filter { _ in random.nextUniform() < 0.5 }
                let values = chosen.map { _ in Float(1 + Int(random.nextUniform() * 10)) }
                var gram = [Double](repeating: 0, count: k * k)
                gram.withUnsafeMutableBufferPointer { BLAS.gram(source.storage, rows: itemCount, k: k, lda: source.stride, into: $0.baseAddress!) }
                let exact = try ImplicitALS(configuration: configuration, threads: 1).solveRow(columns: chosen.map(UInt32.init), values: values, source: source, gram: gram)
                configuration.solver = .cg
                configuration.cgSteps = 4 * k
                let iterative = try ImplicitALS(configuration: configuration, threads: 1).solveRow(columns: chosen.map(UInt32.init), values: values, source: source, gram: gram)
                for j in 0..<k { XCTAssertEqual(iterative[j], exact[j], accuracy: 1e-3 * max(1, abs(exact[j])), "\(kernels)") }
            }
        }
    }

    /// Training refuses a weight that is infinite or NaN wherever it sits among the weights (the
    /// check runs as vectors, so every lane and the tail past whole vectors is tried), naming it,
    /// through `fit` and through `fitSettingWeightsAside`; the same matrix with every weight
    /// finite trains.
    func testTrainingRefusesANonFiniteWeightWhereverItIs() throws {
        var c = ALSConfiguration()
        c.factors = 4
        c.iterations = 1
        let rows = (0..<37).map { UInt32($0 / 7) }, columns = (0..<37).map { UInt32($0 % 7) }
        let finite = (0..<37).map { Float($0 % 5 + 1) }
        for (bad, printed) in [(Float.nan, "nan"), (.infinity, "inf"), (-.infinity, "-inf")] {
            for position in 0..<finite.count {
                var values = finite
                values[position] = bad
                let matrix = SparseMatrix(rowCount: 6, columnCount: 7, rows: rows, columns: columns, values: values)
                for settingAside in [false, true] {
                    let trainer = ImplicitALS(configuration: c, threads: 2)
                    XCTAssertThrowsError(try settingAside
                        ? trainer.fitSettingWeightsAside(matrix, transpose: matrix.transposed()).0 : trainer.fit(matrix)) { error in
                        XCTAssertEqual("\(error)", "\(EncoreError.invalidArgument("the training matrix holds a non-finite weight (\(printed))"))",
                                       "\(printed) at \(position)")
                    }
                }
            }
        }
        let matrix = SparseMatrix(rowCount: 6, columnCount: 7, rows: rows, columns: columns, values: finite)
        XCTAssertNoThrow(try ImplicitALS(configuration: c, threads: 2).fit(matrix))
    }

    func testTrainedUserVectorsSolveTheirNormalEquationsAgainstFinalItems() throws {
        try forEachKernelSet { kernels in
            let (matrix, dense) = randomMatrix(users: 12, items: 9, density: 0.4, seed: 3)
            for configuration in configurations() {
                var c = configuration
                c.iterations = 3
                let model = try ImplicitALS(configuration: c, threads: 2).fit(matrix)
                let y = DenseReference.rows(model.itemFactors)
                for u in 0..<matrix.rowCount {
                    let entries = (0..<matrix.columnCount).filter { matrix.value(row: u, column: $0) != 0 || matrix.columns(ofRow: u).contains(UInt32($0)) }
                        .map { (column: $0, value: dense[u][$0]) }
                    let reference = DenseReference.rowSolution(entries: entries, y: y, configuration: c)
                    let trained = model.userFactors.rowArray(u)
                    for j in 0..<c.factors { XCTAssertEqual(Double(trained[j]), reference[j], accuracy: 1e-4 * max(1, abs(reference[j])), "\(kernels): user \(u)") }
                }
            }
        }
    }

    func testCholeskyLossNeverIncreasesAndMatchesBruteForce() throws {
        let (matrix, dense) = randomMatrix(users: 30, items: 25, density: 0.2, seed: 9)
        for configuration in configurations() {
            var c = configuration
            c.iterations = 8
            let model = try ImplicitALS(configuration: c, threads: 2).fit(matrix)
            for (before, after) in zip(model.lossHistory, model.lossHistory.dropFirst()) {
                XCTAssertLessThanOrEqual(after, before * (1 + 1e-6), "loss rose with \(c.regularizationScaling) \(c.confidence)")
            }
            let brute = DenseReference.objective(x: DenseReference.rows(model.userFactors), y: DenseReference.rows(model.itemFactors), ratings: dense, configuration: c)
            XCTAssertEqual(model.lossHistory.last!, brute, accuracy: 1e-4 * brute)
        }
    }

    func testSameSeedSameModelForAnyThreadCount() throws {
        let (matrix, _) = randomMatrix(users: 400, items: 150, density: 0.05, seed: 21)
        for solver in ALSSolverKind.allCases {
            // The defaults (k 64): the widest kernels' paths; five iterations are enough to differ.
            var c = ALSConfiguration()
            c.solver = solver
            c.iterations = 5
            c.seed = 77
            let one = try ImplicitALS(configuration: c, threads: 1).fit(matrix)
            let two = try ImplicitALS(configuration: c, threads: 2).fit(matrix)
            let four = try ImplicitALS(configuration: c, threads: 4).fit(matrix)
            for other in [two, four] {
                XCTAssertEqual(DenseReference.rows(one.userFactors), DenseReference.rows(other.userFactors))
                XCTAssertEqual(DenseReference.rows(one.itemFactors), DenseReference.rows(other.itemFactors))
                XCTAssertEqual(one.lossHistory, other.lossHistory)
            }
            c.seed = 78
            let reseeded = try ImplicitALS(configuration: c, threads: 1).fit(matrix)
            XCTAssertNotEqual(DenseReference.rows(one.userFactors), DenseReference.rows(reseeded.userFactors))
        }
    }

    func testNoNaNForDegenerateInputs() throws {
        // More factors than items or users, an empty row, zero weights and a huge weight.
        let matrix = SparseMatrix(rowCount: 4, columnCount: 3, rows: [0, 0, 1, 2, 2], columns: [0, 1, 1, 0, 2], values: [0, 3, 1e30, 0, 2])
        for solver in ALSSolverKind.allCases {
            for scaling in RegularizationScaling.allCases {
                var c = ALSConfiguration()
                c.factors = 16
                c.solver = solver
                c.regularizationScaling = scaling
                let model = try ImplicitALS(configuration: c, threads: 1).fit(matrix)
                XCTAssertTrue(model.userFactors.allFinite(), "\(solver) \(scaling)")
                XCTAssertTrue(model.itemFactors.allFinite(), "\(solver) \(scaling)")
                XCTAssertTrue(model.lossHistory.allSatisfy { $0.isFinite })
            }
        }
    }

    func testNonnegativeFactorsSatisfyOptimalityConditions() throws {
        let (matrix, dense) = randomMatrix(users: 15, items: 12, density: 0.35, seed: 4)
        var c = ALSConfiguration.sparkDefaults
        c.nonnegative = true
        c.factors = 5
        c.iterations = 4
        let model = try ImplicitALS(configuration: c, threads: 2).fit(matrix)
        let y = DenseReference.rows(model.itemFactors)
        let k = c.factors
        for u in 0..<matrix.rowCount {
            let x = model.userFactors.rowArray(u).map(Double.init)
            XCTAssertTrue(x.allSatisfy { $0 >= 0 })
            // KKT: gradient A x − b is ≥ 0 where x = 0 and ≈ 0 where x > 0.
            var a = [[Double]](repeating: [Double](repeating: 0, count: k), count: k), b = [Double](repeating: 0, count: k)
            for row in y { for i in 0..<k { for j in 0..<k { a[i][j] += row[i] * row[j] } } }
            var positives = 0
            for i in 0..<matrix.columnCount where dense[u][i] > 0 {
                positives += 1
                let c1 = DenseReference.c1(dense[u][i], c)
                for p in 0..<k { for q in 0..<k { a[p][q] += c1 * y[i][p] * y[i][q] } }
                for p in 0..<k { b[p] += (1 + c1) * y[i][p] }
            }
            for p in 0..<k { a[p][p] += Double(c.regularization) * Double(positives) }
            for p in 0..<k {
                let gradient = (0..<k).map { a[p][$0] * x[$0] }.reduce(0, +) - b[p]
                if x[p] > 1e-6 { XCTAssertEqual(gradient, 0, accuracy: 1e-3 * max(1, abs(b[p]))) } else { XCTAssertGreaterThanOrEqual(gradient, -1e-3 * max(1, abs(b[p]))) }
            }
        }
    }

    func testSeedNotebookMatchesSpark() throws {
        // Spark 3.5's recommendForAllUsers(3) on the seed notebook, from the issue.
        let expected: [String: [(String, Float)]] = [
            "0": [("30", 0.9974), ("10", 0.9599), ("20", 0.9225)],
            "1": [("10", 0.9859), ("30", 0.9187), ("20", 0.1163)],
            "2": [("20", 0.9887), ("30", 0.9601), ("10", 0.1075)],
        ]
        let data = try Interactions(triples: [("0", "10", 3), ("0", "20", 1), ("0", "30", 2), ("1", "10", 4), ("1", "30", 1), ("2", "20", 5), ("2", "30", 3)])
        for seed: UInt64 in [0, 1, 42, 1234] {
            var c = ALSConfiguration.sparkDefaults
            c.seed = seed
            let model = try TrainedModel.train(data, configuration: c, threads: 1)
            for (user, list) in expected {
                let got = TopNRecommendation.recommend(model, user: try model.userIndex(user), count: 3, seen: nil)
                XCTAssertEqual(got.map { model.itemIDs.id(at: $0.index) }, list.map(\.0), "ranking for user \(user), seed \(seed)")
                for (entry, want) in zip(got, list) { XCTAssertEqual(entry.score, want.1, accuracy: 0.01, "user \(user) seed \(seed)") }
            }
        }
    }
}

/// `PackedRow.countPositive` against the plain count, on lengths around its eight-value steps
/// and on values that are zero, negative zero, negative, NaN, infinite and tiny.
final class CountPositiveTests: XCTestCase {
    func testItCountsWhatAPlainLoopCounts() {
        let kinds: [Float] = [0, -0.0, -1, 1, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 3.5]
        var random = RandomSource(seed: 12)
        for n in 0..<40 {
            for _ in 0..<20 {
                let values = (0..<n).map { _ in kinds[Int(random.nextUniform() * Double(kinds.count))] }
                let plain = values.filter { $0 > 0 }.count
                XCTAssertEqual(values.withUnsafeBufferPointer { PackedRow.countPositive($0) }, plain, "\(values)")
            }
        }
        XCTAssertEqual(PackedRow.countPositive(UnsafeBufferPointer(start: nil, count: 0)), 0)
    }
}
