// swift-tools-version:6.0
import Foundation
import PackageDescription

// Release builds are unchecked and, on x86-64, compiled for the CPU that builds them
// (`-target-cpu native`, like -march=native): the SIMD kernels otherwise compile to baseline
// SSE2 and training runs several times slower, and on a CPU with AVX-512 its 512-bit registers
// halve the time of the CG kernels again. A binary meant for other machines is built with
// ENCORE_TARGET_CPU set to the oldest CPU it must run on — `haswell` (AVX2 + FMA) runs on
// every x86-64 CPU sold since 2013. OpenBLAS picks its own kernels at run time either way.
#if arch(x86_64)
let targetCPU = ProcessInfo.processInfo.environment["ENCORE_TARGET_CPU"] ?? "native"
let releaseFlags = ["-Ounchecked", "-target-cpu", targetCPU]
#else
let releaseFlags = ["-Ounchecked"]
#endif

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
        .target(
            name: "Encore",
            dependencies: ["CBLAS"],
            swiftSettings: [.unsafeFlags(releaseFlags, .when(configuration: .release))]
        ),
        // A C layer over libmicrohttpd (Debian libmicrohttpd-dev): its start function is
        // variadic, which Swift cannot call.
        .target(
            name: "CMicroHTTPD",
            linkerSettings: [.linkedLibrary("microhttpd")]
        ),
        .target(
            name: "EncoreServe",
            dependencies: ["Encore", "CMicroHTTPD"],
            swiftSettings: [.unsafeFlags(releaseFlags, .when(configuration: .release))]
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
            dependencies: ["Encore", "EncoreServe", "encore"]
        ),
    ] + (buildsMPI ? mpiTargets : []),
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
            dependencies: ["Encore", "CMPI"],
            swiftSettings: [.unsafeFlags(releaseFlags, .when(configuration: .release))]
        ),
        .executableTarget(
            name: "encore-mpi",
            dependencies: ["Encore", "EncoreCLI", "EncoreMPI"]
        ),
        .testTarget(
            name: "EncoreMPITests",
            dependencies: ["Encore", "encore", "encore-mpi"]
        ),
    ]
}
