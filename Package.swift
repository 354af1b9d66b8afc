// swift-tools-version:6.0
import Foundation
import PackageDescription

// The distributed trainer (`encore-mpi`) builds only where Open MPI's headers are installed
// (Debian libopenmpi-dev; scripts/setup installs it), so the core package builds without MPI.
// ENCORE_MPI=0 leaves it out even where MPI is present.
let mpiHeaders = [
    "/usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h",
    "/usr/lib/aarch64-linux-gnu/openmpi/include/mpi.h",
    "/usr/include/openmpi/mpi.h",
]
let buildsMPI = ProcessInfo.processInfo.environment["ENCORE_MPI"] != "0"
    && mpiHeaders.contains { FileManager.default.fileExists(atPath: $0) }
// The libFuzzer entry points (`encore-fuzz`) are in the package only when scripts/fuzz builds it
// (ENCORE_FUZZ=1): the binary has no main of its own, libFuzzer's `-sanitize=fuzzer` supplies it.
// Approximate top-k (`encore index`) runs on FAISS (Debian libfaiss-dev; scripts/setup installs
// it). Where its headers are missing, or ENCORE_FAISS=0, CFAISS compiles without it and every
// index call says how to get it; the rest of the package is the same either way.
let buildsFAISS = ProcessInfo.processInfo.environment["ENCORE_FAISS"] != "0"
    && FileManager.default.fileExists(atPath: "/usr/include/faiss/IndexIVF.h")
let buildsFuzz = ProcessInfo.processInfo.environment["ENCORE_FUZZ"] == "1"

let package = Package(
    name: "Encore",
    products: [
        .library(name: "Encore", targets: ["Encore"]),
        .library(name: "EncoreServe", targets: ["EncoreServe"]),
        .executable(name: "encore", targets: ["encore"]),
    ] + (buildsMPI ? [.executable(name: "encore-mpi", targets: ["encore-mpi"])] : []),
    targets: [
        // OpenBLAS's CBLAS interface and the two LAPACK routines Encore calls (Debian libopenblas-dev).
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The vector kernels, compiled once per instruction set (AVX-512, AVX2, baseline) and
        // chosen at run time for the CPU the process runs on; no build flag is needed, so the
        // package can be a versioned dependency (SwiftPM refuses unsafe flags in those).
        .target(name: "CEncoreKernels"),
        // A C layer over FAISS's C++ library: Debian ships the C API's headers but not its
        // library. libfaiss.a is static and built with GCC's OpenMP, so libgomp comes along; its
        // BLAS and LAPACK calls go to the OpenBLAS Encore already loads (libopenblas has both),
        // not to Debian's libblas/liblapack, which are a second OpenBLAS with its own threads.
        .target(
            name: "CFAISS",
            cxxSettings: buildsFAISS ? [.define("ENCORE_HAVE_FAISS")] : [],
            linkerSettings: buildsFAISS
                ? [.linkedLibrary("faiss"), .linkedLibrary("gomp"), .linkedLibrary("openblas")] : []
        ),
        .target(
            name: "Encore",
            dependencies: ["CBLAS", "CEncoreKernels", "CFAISS"]
        ),
        // A C layer over libmicrohttpd (Debian libmicrohttpd-dev): its start function is
        // variadic, which Swift cannot call.
        .target(
            name: "CMicroHTTPD",
            linkerSettings: [.linkedLibrary("microhttpd")]
        ),
        .target(
            name: "EncoreServe",
            dependencies: ["Encore", "CMicroHTTPD"]
        ),
        // The command-line parser and the data and model flags, shared by `encore` and `encore-mpi`.
        .target(
            name: "EncoreCLI",
            dependencies: ["Encore"]
        ),
        .executableTarget(
            name: "encore",
            dependencies: ["Encore", "EncoreCLI", "EncoreServe"]
        ),
        .testTarget(
            name: "EncoreTests",
            // The CLI is a dependency so that `swift test` builds the binary the end-to-end tests run.
            dependencies: ["Encore", "CEncoreKernels", "EncoreServe", "encore"]
        ),
    ] + (buildsMPI ? mpiTargets : []) + (buildsFuzz ? fuzzTargets : []),
    swiftLanguageModes: [.v5]
)

/// Open MPI's C interface (a system library), the distributed trainer built on it, and its tests.
var mpiTargets: [Target] {
    [
        .systemLibrary(
            name: "CMPI",
            path: "Sources/CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]
        ),
        .target(
            name: "EncoreMPI",
            dependencies: ["Encore", "CMPI"]
        ),
        .executableTarget(
            name: "encore-mpi",
            dependencies: ["Encore", "EncoreCLI", "EncoreMPI"]
        ),
        .testTarget(
            name: "EncoreMPITests",
            dependencies: ["Encore", "EncoreMPI", "encore", "encore-mpi"]
        ),
    ]
}

/// The fuzz targets: one executable whose `LLVMFuzzerTestOneInput` feeds the bytes to the reader
/// that ENCORE_FUZZ_TARGET names.
var fuzzTargets: [Target] {
    [
        .executableTarget(
            name: "encore-fuzz",
            dependencies: ["Encore", "EncoreServe"],
            path: "Tests/Fuzz/Sources"
        ),
    ]
}
