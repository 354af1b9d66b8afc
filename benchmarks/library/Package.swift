// swift-tools-version:5.9
// A library user's questions, timed (see run.sh): a package of its own that depends on this
// checkout, as a user's package would.
import PackageDescription

let package = Package(
    name: "library-questions",
    dependencies: [.package(name: "Encore", path: "../..")],
    targets: [.executableTarget(name: "library-questions", dependencies: [.product(name: "Encore", package: "Encore")])]
)
