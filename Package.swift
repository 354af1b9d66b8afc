// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Encore",
    products: [
        .library(name: "Encore", targets: ["Encore"]),
        .executable(name: "encore", targets: ["encore"]),
    ],
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
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "encore",
            dependencies: ["Encore"]
        ),
        .testTarget(
            name: "EncoreTests",
            // The CLI is a dependency so that `swift test` builds the binary the end-to-end tests run.
            dependencies: ["Encore", "encore"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
