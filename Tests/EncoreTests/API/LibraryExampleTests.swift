import Encore
import Foundation
import XCTest

/// docs/library.md's first program, built the way a user builds it: a separate package whose
/// Package.swift (the page's second block, its URL pointed at a local copy) depends on Encore by
/// URL and version. The copy is this working tree's files (committed or not, ignored ones left
/// out) committed to a fresh repository and tagged with the version `encore --version` prints,
/// so what is tested is what would be published. Builds in release mode (a few minutes); its
/// own class, so `swift test --skip LibraryExampleTests` leaves it out.
final class LibraryExampleTests: XCTestCase {
    func testTheFirstExampleOfDocsLibraryBuildsAgainstATaggedCopyAndPrintsTheExpectedAnswers() throws {
        guard let swift = Self.executable("swift") else {
            throw XCTSkip("`swift` is not on PATH, so the example package cannot be built")
        }
        let git = try XCTUnwrap(Self.executable("git"), "git is needed to tag a copy of Encore as a versioned dependency")
        let root = TestSupport.packageRoot
        let page = try String(contentsOf: root.appendingPathComponent("docs/library.md"), encoding: .utf8)
        let blocks = Self.swiftBlocks(in: page)
        XCTAssertGreaterThanOrEqual(blocks.count, 2, "docs/library.md opens with main.swift, then Package.swift")
        guard blocks.count >= 2 else { return }
        let program = blocks[0], manifest = blocks[1]
        XCTAssertTrue(program.contains("import Encore"))
        let target = try XCTUnwrap(Self.string(after: ".executableTarget(name: \"", in: manifest), "the manifest names an executable target")

        // The version the CLI prints is the tag.
        let versionRun = try TestSupport.encore(["--version"])
        XCTAssertTrue(versionRun.stdout.hasPrefix("encore \(EncoreLibrary.version) "), versionRun.stdout)
        let version = EncoreLibrary.version

        let scratch = try TestSupport.temporaryDirectory(self)
        let log = scratch.appendingPathComponent("log.txt")
        let copy = scratch.appendingPathComponent("encore")  // the URL's last component is the package identity
        let listed = try Self.run(git, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], in: root, log: log)
        XCTAssertEqual(listed.status, 0, listed.output)
        let files = listed.stdout.split(separator: "\0").map(String.init)
        XCTAssertTrue(files.contains("Package.swift"), "git lists the package's files")
        for file in files {
            let source = root.appendingPathComponent(file)
            var isDirectory: ObjCBool = false
            // Deleted but not yet committed, or a submodule: not part of the working tree's package.
            guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let destination = copy.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source, to: destination)
        }
        let identity = ["-c", "user.name=Encore tests", "-c", "user.email=tests@encore.invalid", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]
        for arguments in [["-c", "init.defaultBranch=main", "init", "-q"], ["add", "-A"], identity + ["commit", "-q", "-m", "Encore \(version)"], identity + ["tag", version]] {
            let result = try Self.run(git, arguments, in: copy, log: log)
            XCTAssertEqual(result.status, 0, "git \(arguments.joined(separator: " ")): \(result.output)")
        }

        // The consumer: the page's Package.swift with its URL pointed at the copy, and its main.swift.
        let consumer = scratch.appendingPathComponent("consumer")
        let url = try XCTUnwrap(Self.string(after: ".package(url: \"", in: manifest), "the manifest depends on Encore by URL")
        XCTAssertTrue(manifest.contains("from: \""), "the dependency is by version")
        let sources = consumer.appendingPathComponent("Sources").appendingPathComponent(target)
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try Data(manifest.replacingOccurrences(of: url, with: "file://" + copy.path).utf8).write(to: consumer.appendingPathComponent("Package.swift"))
        try Data(program.utf8).write(to: sources.appendingPathComponent("main.swift"))

        // Its own scratch, cache, configuration and security folders: nothing shared with this
        // build or the user's SwiftPM state (whose fingerprints would remember an earlier copy's tag).
        let build = try Self.run(swift, [
            "build", "-c", "release", "--package-path", consumer.path,
            "--scratch-path", scratch.appendingPathComponent("build").path,
            "--cache-path", scratch.appendingPathComponent("cache").path,
            "--config-path", scratch.appendingPathComponent("config").path,
            "--security-path", scratch.appendingPathComponent("security").path,
        ], in: consumer, log: log)
        guard build.status == 0 else {
            return XCTFail("swift build -c release of the docs/library.md example failed (status \(build.status)):\n\(build.output.suffix(6000))")
        }
        let binary = scratch.appendingPathComponent("build/release").appendingPathComponent(target)
        let result = try Self.run(binary.path, [], in: consumer, log: log)
        XCTAssertEqual(result.status, 0, result.output)

        // What the page promises: Megadeth first for dana, metal like Metallica, pop for a pop fan.
        let lines = result.stdout.split(separator: "\n").map(String.init)
        func list(after title: String) -> [String] {
            guard let start = lines.firstIndex(of: title) else { XCTFail("no line '\(title)' in:\n\(result.stdout)"); return [] }
            return Array(lines[(start + 1)...].prefix { $0.hasPrefix("  ") })
        }
        let metal = ["Metallica", "Iron Maiden", "Slayer", "Megadeth", "Black Sabbath"]
        let pop = ["Taylor Swift", "Dua Lipa", "Adele", "Ed Sheeran", "Rihanna"]
        func names(_ entries: [String]) -> [String] {
            entries.map { entry in (metal + pop).first { entry.contains(" \($0) ") } ?? entry }
        }
        XCTAssertTrue(lines.first?.hasPrefix("iteration 1 of ") == true, result.stdout)
        let dana = list(after: "Recommended for dana:")
        XCTAssertEqual(dana.count, 3, result.stdout)
        XCTAssertEqual(names(dana).first, "Megadeth", result.stdout)
        let like = names(list(after: "Like Metallica:"))
        XCTAssertEqual(like.count, 3, result.stdout)
        XCTAssertTrue(like.allSatisfy { metal.contains($0) && $0 != "Metallica" }, result.stdout)
        let newcomer = names(list(after: "For a new listener of Adele and Taylor Swift:"))
        XCTAssertEqual(newcomer.count, 3, result.stdout)
        XCTAssertTrue(newcomer.allSatisfy { pop.contains($0) && $0 != "Adele" && $0 != "Taylor Swift" }, result.stdout)
    }

    /// The bodies of the page's ```swift blocks, in order.
    static func swiftBlocks(in page: String) -> [String] {
        var blocks: [String] = [], current: [Substring]? = nil
        for line in page.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```swift" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n") + "\n")
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// The text between `prefix` and the next double quote.
    static func string(after prefix: String, in text: String) -> String? {
        guard let start = text.range(of: prefix)?.upperBound, let end = text[start...].firstIndex(of: "\"") else { return nil }
        return String(text[start..<end])
    }

    /// The first executable called `name` on PATH.
    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// What one process printed: stdout alone, and stdout and stderr together.
    struct Result {
        var status: Int32
        var stdout: String
        var output: String
    }

    /// Runs `executable` in `directory`; output goes through files, so a chatty build cannot fill a pipe.
    static func run(_ executable: String, _ arguments: [String], in directory: URL, log: URL) throws -> Result {
        let out = log.deletingLastPathComponent().appendingPathComponent("stdout.txt")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let stdout = try FileHandle(forWritingTo: out), stderr = try FileHandle(forWritingTo: log)
        defer { try? stdout.close(); try? stderr.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let printed = try String(contentsOf: out, encoding: .utf8), errors = try String(contentsOf: log, encoding: .utf8)
        return Result(status: process.terminationStatus, stdout: printed, output: printed + errors)
    }
}
