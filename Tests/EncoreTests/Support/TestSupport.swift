import Foundation
import XCTest
import CEncoreKernels

/// Paths and helpers the tests share.
enum TestSupport {
    /// The package root (two levels above this file's folder).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The real Last.fm 2K data beside the checkout, or nil when it is not there.
    static var lastfm2k: String? {
        let path = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/lastfm-2k/user_artists.dat").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The `encore` binary `swift test` built beside the test bundle.
    static var encoreBinary: String {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("encore").path,
            Bundle(for: Marker.self).bundleURL.deletingLastPathComponent().appendingPathComponent("encore").path,
            packageRoot.appendingPathComponent(".build/debug/encore").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }

    /// The folder `swift test` built into (`.build/<triple>/debug`), where the test bundle is
    /// (on Linux the bundle is that folder; elsewhere the bundle is inside it).
    static var buildDirectory: URL {
        let bundle = Bundle(for: Marker.self).bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent()]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("Encore.build").path) } ?? candidates[1]
    }

    /// A fresh temporary folder, removed when the test ends.
    static func temporaryDirectory(_ testCase: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("encore-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Writes `text` to `name` inside `directory` and returns its path.
    @discardableResult
    static func write(_ text: String, to name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// What one run of the CLI produced.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `encore` with `arguments` and waits for it.
    static func encore(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: encoreBinary)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes before waiting so a chatty child cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            outBox.data = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let outData = outBox.data
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    private final class Marker {}
}

/// Runs `body` once with each kernel set this CPU can run (baseline, AVX2, AVX-512), made the
/// set in use, and puts back the one chosen for the CPU afterwards — so that a test of the
/// arithmetic covers every set a user's machine might choose, not only this machine's best.
func forEachKernelSet(_ body: (String) throws -> Void) rethrows {
    defer { encore_use_kernels(nil) }
    for name: String in ["baseline", "avx2", "avx512"] {
        guard let kernels = encore_kernels_named(name) else { continue }
        encore_use_kernels(kernels)
        try body(name)
    }
}
