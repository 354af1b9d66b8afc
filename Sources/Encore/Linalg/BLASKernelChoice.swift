import CBLAS
import CEncoreKernels
import Foundation

/// Makes OpenBLAS run the kernels of the CPU it is on. Debian's OpenBLAS (DYNAMIC_ARCH) picks its
/// kernel set once, when it loads, from a table of CPU models it knows; a newer CPU it does not
/// know gets a fallback: Prescott (SSE3) on Sapphire Rapids, where SGEMM runs 4–5× slower than
/// with an AVX-512 set (SkylakeX, Cooperlake; 4.6× on one Zen 5 core). So at the first BLAS call Encore
/// compares the loaded set with what the CPU's features allow and, when the CPU can run a wider
/// set, has OpenBLAS load that one instead. The choice depends on the CPU's features only, so one
/// machine always trains with the same kernels (and the same bits). A user's OPENBLAS_CORETYPE is
/// never overridden.
package enum BLASKernelChoice {
    /// The widest vector instructions a kernel set uses, in order: a set is weaker than another
    /// when its tier is lower.
    package enum Tier: Int, Comparable, Sendable {
        case sse = 1, avx, avx2, avx512
        package static func < (a: Tier, b: Tier) -> Bool { a.rawValue < b.rawValue }
    }

    /// What the process started with and what it runs: OpenBLAS's own pick, the set in use, and
    /// who chose it ("openblas", "encore" or "OPENBLAS_CORETYPE").
    package struct Choice: Sendable {
        package var loadedCore: String
        package var core: String
        package var chosenBy: String
    }

    /// The x86-64 kernel sets of OpenBLAS (driver/others/dynamic.c's core names, 0.3.21 and
    /// later) by tier; a name not here (another architecture, "Unknown") is left alone.
    static let tiers: [String: Tier] = {
        var tiers: [String: Tier] = [:]
        let sse = ["katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
                   "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat"]
        for name in sse { tiers[name] = .sse }
        for name in ["sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"] { tiers[name] = .avx }
        for name in ["haswell", "zen"] { tiers[name] = .avx2 }
        for name in ["skylakex", "cooperlake", "sapphirerapids"] { tiers[name] = .avx512 }
        return tiers
    }()

    /// The tier of an OpenBLAS core name (any case), nil for one Encore does not rank.
    package static func tier(ofCore name: String) -> Tier? { tiers[name.lowercased()] }

    /// The set to ask for on a CPU with these features: Cooperlake for AVX-512 with BF16 — the set
    /// OpenBLAS 0.3.21 picks itself on the Zen 5 it knows, so that a Sapphire Rapids it does not
    /// know runs the same kernels and trains the same bits (SkylakeX is as fast, but its SSYRK
    /// rounds differently) — SkylakeX for AVX-512 (F, BW, VL, DQ, CD), Haswell for AVX2 with FMA,
    /// none below (every x86-64 OpenBLAS picks at least SSE3 itself).
    package static func wantedCore(avx2: Bool, avx512: Bool, avx512bf16: Bool = false) -> (name: String, tier: Tier)? {
        if avx512 && avx2 { return (avx512bf16 ? "Cooperlake" : "SkylakeX", .avx512) }
        if avx2 { return ("Haswell", .avx2) }
        return nil
    }

    /// The set to load instead of `loadedCore`, or nil to keep it: nil when the user named a set
    /// (`userCoreType`, even empty — OpenBLAS honours it as given), when the loaded set is not
    /// one Encore ranks, or when it is already as wide as the CPU allows (never a narrower one).
    package static func replacement(
        forLoaded loadedCore: String, avx2: Bool, avx512: Bool, avx512bf16: Bool = false, userCoreType: String?
    ) -> String? {
        guard userCoreType == nil, let have = tier(ofCore: loadedCore),
              let want = wantedCore(avx2: avx2, avx512: avx512, avx512bf16: avx512bf16) else { return nil }
        return have < want.tier ? want.name : nil
    }

    /// The choice, made once, at the first BLAS call (`BLAS.ensureSingleThreaded`), before any
    /// BLAS work can be in progress.
    package static let applied = choose(userSetCoreType: getenv("OPENBLAS_CORETYPE") != nil, cpu: Machine.cpu)

    /// Compares the set OpenBLAS runs now with what `cpu` allows and loads a wider one when it
    /// can; the set a user named is kept. No BLAS call may be in progress.
    package static func choose(userSetCoreType: Bool, cpu: EncoreCPU) -> Choice {
        let loaded = currentCore
        if userSetCoreType { return Choice(loadedCore: loaded, core: loaded, chosenBy: "OPENBLAS_CORETYPE") }
        let features = (avx2: cpu.avx2 != 0, avx512: cpu.avx512 != 0, bf16: cpu.avx512bf16 != 0)
        guard let wanted = replacement(forLoaded: loaded, avx2: features.avx2, avx512: features.avx512, avx512bf16: features.bf16, userCoreType: nil),
              load(core: wanted) else {
            return Choice(loadedCore: loaded, core: loaded, chosenBy: "openblas")
        }
        return Choice(loadedCore: loaded, core: currentCore, chosenBy: "encore")
    }

    /// The name of the kernel set OpenBLAS runs now.
    package static var currentCore: String { String(cString: openblas_get_corename()) }

    /// Has OpenBLAS load the named set; false when this OpenBLAS cannot change its set. For the
    /// choice above and for tests; no BLAS call may be in progress.
    @discardableResult
    package static func load(core: String) -> Bool { encore_openblas_load_core(core) != 0 }
}

/// The facts `encore --version`, the train summary and `/metrics` report about what the program
/// runs with.
package struct Machine: Sendable {
    /// The CPU's brand string with its family and model, e.g. "AMD EPYC (family 26, model 2)".
    package var cpu: String
    /// Encore's own vector kernels in use ("avx512", "avx2", "baseline").
    package var vectorKernels: String
    /// The BLAS library and version, e.g. "OpenBLAS 0.3.21".
    package var blas: String
    /// OpenBLAS's build options as it reports them, e.g. "DYNAMIC_ARCH NO_AFFINITY MAX_THREADS=64".
    package var blasBuild: String
    /// The kernel set BLAS runs, e.g. "SkylakeX", and who chose it.
    package var blasCore: String
    package var blasCoreChosenBy: String
    /// The set OpenBLAS picked for itself when it loaded.
    package var blasLoadedCore: String

    /// The processor, read once.
    static let cpu: EncoreCPU = {
        var cpu = EncoreCPU()
        encore_cpu_describe(&cpu)
        return cpu
    }()

    /// The facts, worked out once: none of them changes while the process runs, and `/metrics`
    /// asks on every scrape. BLAS's kernel choice is made first, so the set reported is the set used.
    package static let current: Machine = {
        BLAS.ensureSingleThreaded()
        let choice = BLASKernelChoice.applied
        var cpu = Machine.cpu
        let name = withUnsafeBytes(of: &cpu.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let described = cpu.family == 0 ? (name.isEmpty ? "unknown" : name) : "\(name.isEmpty ? "unknown" : name) (family \(cpu.family), model \(cpu.model))"
        // openblas_get_config: "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64";
        // the core's name is in it too, reported on its own.
        let words = String(cString: openblas_get_config()).split(separator: " ").map(String.init)
        let library = words.prefix(2).joined(separator: " ")
        let build = words.dropFirst(2).filter { $0.lowercased() != choice.core.lowercased() }.joined(separator: " ")
        return Machine(cpu: described, vectorKernels: VectorKernels.instructionSet, blas: library, blasBuild: build,
                       blasCore: choice.core, blasCoreChosenBy: choice.chosenBy, blasLoadedCore: choice.loadedCore)
    }()

    /// One line for `encore --version`: the library, its set and who chose it.
    package var blasLine: String {
        let why: String
        switch blasCoreChosenBy {
        case "encore": why = "chosen by Encore for this CPU; OpenBLAS picked \(blasLoadedCore)"
        case "OPENBLAS_CORETYPE": why = "set by OPENBLAS_CORETYPE"
        default: why = "OpenBLAS's own pick"
        }
        return "blas: \(blas), kernel set \(blasCore) (\(why))" + (blasBuild.isEmpty ? "" : "; \(blasBuild)")
    }
}

extension Machine {
    /// `encore_build_info`, a Prometheus info metric (always 1) whose labels are the facts above.
    package var prometheusInfo: String {
        // Label values escape backslash, quote and newline (Prometheus's text format).
        func label(_ value: String) -> String {
            value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        }
        let labels = [("version", EncoreLibrary.version), ("cpu", cpu), ("vector_kernels", vectorKernels), ("blas", blas), ("blas_core", blasCore)]
        return "# HELP encore_build_info What the server runs on: Encore's version, the CPU, its vector kernels, BLAS and BLAS's kernel set.\n"
            + "# TYPE encore_build_info gauge\n"
            + "encore_build_info{" + labels.map { "\($0.0)=\"\(label($0.1))\"" }.joined(separator: ",") + "} 1\n"
    }
}
