import XCTest
@testable import Encore

/// Encore's choice of OpenBLAS kernel set: the rule, against hand-written cases; re-selecting a
/// set in a running process; and the report of it in `encore --version`.
final class BLASKernelChoiceTests: XCTestCase {
    func testTheCoreWantedFollowsTheCPUsFeatures() {
        XCTAssertEqual(BLASKernelChoice.wantedCore(avx2: true, avx512: true)?.name, "SkylakeX")
        XCTAssertEqual(BLASKernelChoice.wantedCore(avx2: true, avx512: true, avx512bf16: true)?.name, "Cooperlake")
        XCTAssertEqual(BLASKernelChoice.wantedCore(avx2: true, avx512: false)?.name, "Haswell")
        XCTAssertNil(BLASKernelChoice.wantedCore(avx2: false, avx512: false))
        XCTAssertEqual(BLASKernelChoice.tier(ofCore: "PRESCOTT"), .sse)
        XCTAssertEqual(BLASKernelChoice.tier(ofCore: "Zen"), .avx2)
        XCTAssertEqual(BLASKernelChoice.tier(ofCore: "Cooperlake"), .avx512)
        XCTAssertNil(BLASKernelChoice.tier(ofCore: "NEOVERSEN1"))
    }

    /// A weaker set is replaced by the widest the CPU runs; an equal or wider one, a set Encore
    /// does not rank, or one the user named, is kept.
    func testOnlyAWeakerSetIsReplacedAndNeverTheUsersChoice() {
        let cases: [(loaded: String, avx2: Bool, avx512: Bool, user: String?, expected: String?)] = [
            ("Prescott", true, true, nil, "SkylakeX"), // an AVX-512 CPU without BF16 OpenBLAS does not know
            ("Haswell", true, true, nil, "SkylakeX"),
            ("Zen", true, true, nil, "SkylakeX"),
            ("Sandybridge", true, false, nil, "Haswell"),
            ("Nehalem", true, false, nil, "Haswell"),
            ("Haswell", true, false, nil, nil),
            ("Zen", true, false, nil, nil),
            ("SkylakeX", true, true, nil, nil),
            ("Cooperlake", true, true, nil, nil),
            ("SkylakeX", true, false, nil, nil), // never narrower
            ("Prescott", false, false, nil, nil),
            ("Prescott", true, true, "Prescott", nil), // the user's OPENBLAS_CORETYPE stands
            ("Prescott", true, true, "", nil),
            ("Unknown", true, true, nil, nil),
            ("ARMV8", false, false, nil, nil),
        ]
        // Sapphire Rapids on Debian 12's OpenBLAS (Prescott) and an AVX-512 set already loaded.
        XCTAssertEqual(BLASKernelChoice.replacement(forLoaded: "Prescott", avx2: true, avx512: true, avx512bf16: true, userCoreType: nil), "Cooperlake")
        XCTAssertNil(BLASKernelChoice.replacement(forLoaded: "SkylakeX", avx2: true, avx512: true, avx512bf16: true, userCoreType: nil))
        XCTAssertNil(BLASKernelChoice.replacement(forLoaded: "Prescott", avx2: true, avx512: true, avx512bf16: true, userCoreType: "Haswell"))
        for c in cases {
            XCTAssertEqual(BLASKernelChoice.replacement(forLoaded: c.loaded, avx2: c.avx2, avx512: c.avx512, userCoreType: c.user), c.expected,
                           "\(c)")
        }
    }

    /// The fallback a CPU OpenBLAS does not know gets (Prescott) is simulated by loading it, then
    /// Encore's set is loaded back; products are right under each, and the process ends on the set
    /// the choice made.
    func testASetCanBeReselectedInARunningProcess() throws {
        BLAS.ensureSingleThreaded()
        let variable = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        let chosen = BLASKernelChoice.applied.core
        defer { BLASKernelChoice.load(core: chosen) }
        guard BLASKernelChoice.load(core: "Prescott") else { throw XCTSkip("this OpenBLAS cannot change its kernel set") }
        XCTAssertEqual(BLASKernelChoice.currentCore, "Prescott")
        let (m, n, k) = (37, 29, 64)
        var random = RandomSource(seed: 5)
        let a = (0..<(m * k)).map { _ in Float(random.nextUniform()) }, b = (0..<(n * k)).map { _ in Float(random.nextUniform()) }
        func product() -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            BLAS.multiplyTransposed(a, m: m, lda: k, b, n: n, ldb: k, k: k, into: &c, ldc: n)
            return c
        }
        let underPrescott = product()
        let cpu = Machine.cpu
        // The whole choice, as the first BLAS call of a process on that CPU makes it.
        let choice = BLASKernelChoice.choose(userSetCoreType: false, cpu: cpu)
        XCTAssertEqual(choice.loadedCore, "Prescott")
        let wanted = BLASKernelChoice.wantedCore(avx2: cpu.avx2 != 0, avx512: cpu.avx512 != 0, avx512bf16: cpu.avx512bf16 != 0)?.name ?? "Prescott"
        XCTAssertEqual(choice.core, wanted)
        XCTAssertEqual(choice.chosenBy, wanted == "Prescott" ? "openblas" : "encore")
        XCTAssertEqual(BLASKernelChoice.currentCore, wanted)
        let underWanted = product()
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0
                for p in 0..<k { exact += Double(a[i * k + p]) * Double(b[j * k + p]) }
                XCTAssertEqual(Double(underPrescott[i * n + j]), exact, accuracy: 1e-4 * exact)
                XCTAssertEqual(Double(underWanted[i * n + j]), exact, accuracy: 1e-4 * exact)
            }
        }
        XCTAssertEqual(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], variable, "the variable is put back as it was")
    }

    /// `encore --version` keeps its first line and names the CPU, BLAS and its kernel set; a
    /// user's OPENBLAS_CORETYPE is what runs.
    func testVersionReportsTheCPUAndTheBLASKernelSet() throws {
        let lines = try TestSupport.encore(["--version"]).stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("encore \(EncoreLibrary.version) (vector kernels: ") ?? false, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("cpu: ") }, "\(lines)")
        let blas = try XCTUnwrap(lines.first { $0.hasPrefix("blas: OpenBLAS ") }, "\(lines)")
        XCTAssertTrue(blas.contains("kernel set \(Machine.current.blasCore) ("), blas)
        let forced = try TestSupport.encore(["--version"], environment: ["OPENBLAS_CORETYPE": "Prescott"]).stdout
        XCTAssertTrue(forced.contains("kernel set Prescott (set by OPENBLAS_CORETYPE)"), forced)
    }

    func testTheMetricLabelsAreEscaped() {
        var machine = Machine.current
        machine.cpu = "a \"quoted\" \\ name"
        XCTAssertTrue(machine.prometheusInfo.contains("cpu=\"a \\\"quoted\\\" \\\\ name\""), machine.prometheusInfo)
        XCTAssertTrue(machine.prometheusInfo.hasSuffix("} 1\n"))
    }
}
