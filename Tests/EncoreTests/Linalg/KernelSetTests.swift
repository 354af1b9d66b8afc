import XCTest
import CEncoreKernels
@testable import Encore

/// The run-time choice of kernel set, and the sets against each other on whole trainings.
final class KernelSetTests: XCTestCase {
    func testTheBestSetThisCPURunsIsChosen() {
        encore_use_kernels(nil)
        let best = ["avx512", "avx2", "baseline"].first { (name: String) in encore_kernels_named(name) != nil }
        XCTAssertEqual(VectorKernels.instructionSet, best)
        XCTAssertNotNil(encore_kernels_named("baseline"), "every CPU runs the baseline set")
        XCTAssertNil(encore_kernels_named("sse9"))
    }

    /// The CLI names its set; ENCORE_KERNELS asks for a lesser one, and a set the CPU cannot run
    /// is ignored rather than crash the program.
    func testTheCLINamesItsSetAndTheEnvironmentCanAskForAnother() throws {
        encore_use_kernels(nil)
        let best = VectorKernels.instructionSet
        XCTAssertTrue(try TestSupport.encore(["--version"]).stdout.contains("vector kernels: \(best)"))
        let baseline = try TestSupport.encore(["--version"], environment: ["ENCORE_KERNELS": "baseline"])
        XCTAssertTrue(baseline.stdout.contains("vector kernels: baseline"), baseline.stdout)
        let unknown = try TestSupport.encore(["--version"], environment: ["ENCORE_KERNELS": "sse9"])
        XCTAssertTrue(unknown.stdout.contains("vector kernels: \(best)"), unknown.stdout)
    }

    /// AVX2 and AVX-512 do the same arithmetic lane by lane and reduce in the same order, so
    /// they must train the same model to the bit (a mixed cluster gives one answer); the
    /// baseline set rounds products separately, and three CG steps from a slightly different
    /// point end slightly elsewhere: its losses must agree to 0.1%.
    func testEverySetTrainsTheSameModel() throws {
        var random = RandomSource(seed: 31)
        var rows: [UInt32] = [], columns: [UInt32] = [], values: [Float] = []
        for u in 0..<300 {
            // Row lengths from 1 to 150: short rows (Woodbury), long ones (refinement) and
            // several 32-vector CG blocks.
            let length = 1 + Int(random.nextUniform() * random.nextUniform() * 150)
            for i in Set((0..<length).map { _ in Int(random.nextUniform() * 200) }).sorted() {
                rows.append(UInt32(u)); columns.append(UInt32(i)); values.append(Float(1 + Int(random.nextUniform() * 30)))
            }
        }
        let matrix = SparseMatrix(rowCount: 300, columnCount: 200, rows: rows, columns: columns, values: values)
        for solver in ALSSolverKind.allCases {
            for k in [64, 80, 10] {
                var c = ALSConfiguration()
                c.solver = solver
                c.factors = k
                c.iterations = 3
                c.confidence = .log
                c.regularizationScaling = .flat
                var models: [String: FactorModel] = [:]
                try forEachKernelSet { kernels in models[kernels] = try ImplicitALS(configuration: c, threads: 2).fit(matrix) }
                guard let baseline = models["baseline"] else { return XCTFail("no baseline set") }
                if let avx2 = models["avx2"], let avx512 = models["avx512"] {
                    XCTAssertEqual(DenseReference.rows(avx2.userFactors), DenseReference.rows(avx512.userFactors), "\(solver) k \(k)")
                    XCTAssertEqual(DenseReference.rows(avx2.itemFactors), DenseReference.rows(avx512.itemFactors), "\(solver) k \(k)")
                    XCTAssertEqual(avx2.lossHistory, avx512.lossHistory, "\(solver) k \(k)")
                }
                for (name, model) in models where name != "baseline" {
                    for (a, b) in zip(model.lossHistory, baseline.lossHistory) {
                        XCTAssertEqual(a, b, accuracy: 1e-3 * abs(b), "\(name) against baseline, \(solver) k \(k)")
                    }
                }
            }
        }
    }
}
