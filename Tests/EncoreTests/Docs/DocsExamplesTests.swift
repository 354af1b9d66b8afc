import Foundation
import XCTest

/// The example outputs in the documentation are what the program prints now.
///
/// A fenced block after `<!-- docs-example: output -->` holds `$ COMMAND` lines, each followed by
/// its output; one after `<!-- docs-example: run -->` holds commands to run first (training a
/// model) whose output is not shown. The commands of one page run in order, through `/bin/sh`,
/// in a fresh folder beside a link to `../shared` (so `../shared/data/…` reads as in a
/// checkout), with the `encore` under test first on the PATH; stdout and stderr are shown
/// together, as a terminal shows them. Times (`0.19 s`, `"train_seconds":…`), the thread count
/// and the machine (`"cpu":…`, `"blas_core":…`) vary from run to run and machine to machine, so
/// they are compared as placeholders.
///
/// This checks the docs, not the code: the code is checked against independent references by the
/// rest of the suite. `scripts/regenerate-docs` (ENCORE_REGENERATE_DOCS=1) rewrites the blocks
/// from the program's output instead of comparing — after a change of defaults, say.
final class DocsExamplesTests: XCTestCase {
    func testDocumentedOutputsAreWhatTheProgramPrints() throws {
        guard TestSupport.lastfm2k != nil else { throw XCTSkip("../shared/data/lastfm-2k is not beside the checkout") }
        let regenerate = ProcessInfo.processInfo.environment["ENCORE_REGENERATE_DOCS"] == "1"
        let binaries = DocsExamples.binaryDirectory()
        var stale: [String] = []
        var pages = 0
        for page in DocsExamples.pages() {
            let text = try String(contentsOf: page, encoding: .utf8)
            let document = try DocsExamples.Document(text, name: page.lastPathComponent)
            guard document.hasExamples else { continue }
            pages += 1
            let rendered = try document.rendered(binaries: binaries)
            guard DocsExamples.masked(rendered) != DocsExamples.masked(text) else { continue }
            if regenerate {
                try Data(rendered.utf8).write(to: page)
            } else {
                stale.append("\(page.lastPathComponent):\n" + DocsExamples.firstDifference(text, rendered))
            }
        }
        XCTAssertGreaterThanOrEqual(pages, 2, "docs/cli.md and docs/music.md have examples")
        XCTAssertEqual(stale, [], "the docs' examples differ from the program's output (run scripts/regenerate-docs):\n" + stale.joined(separator: "\n"))
    }

    func testBlocksAreParsedRunAndRewritten() throws {
        let page = """
        Intro.

        <!-- docs-example: run -->
        ```sh
        printf 'two\\nlines\\n' > made.txt
        ```

        <!-- docs-example: output -->
        ```
        $ cat made.txt
        stale
        $ echo one \\
            two; echo oops >&2

        $ echo took 0.19 s '{"train_seconds":1.5,"threads":2}'
        took 7 ms {"train_seconds":0.01,"threads":8}
        ```

        ```
        $ echo not an example
        left alone
        ```
        """
        let document = try DocsExamples.Document(page, name: "test.md")
        XCTAssertTrue(document.hasExamples)
        let rendered = try document.rendered(binaries: URL(fileURLWithPath: "/nonexistent"))
        XCTAssertEqual(rendered, """
        Intro.

        <!-- docs-example: run -->
        ```sh
        printf 'two\\nlines\\n' > made.txt
        ```

        <!-- docs-example: output -->
        ```
        $ cat made.txt
        two
        lines

        $ echo one \\
            two; echo oops >&2
        one two
        oops

        $ echo took 0.19 s '{"train_seconds":1.5,"threads":2}'
        took 0.19 s {"train_seconds":1.5,"threads":2}
        ```

        ```
        $ echo not an example
        left alone
        ```
        """)
        // Only times and the thread count are placeholders.
        XCTAssertEqual(DocsExamples.masked(rendered), DocsExamples.masked(rendered.replacingOccurrences(of: "took 0.19 s", with: "took 12 ms")))
        XCTAssertNotEqual(DocsExamples.masked(rendered), DocsExamples.masked(rendered.replacingOccurrences(of: "one two", with: "one three")))
        XCTAssertThrowsError(try DocsExamples.Document("<!-- docs-example: output -->\ntext\n", name: "bad.md"))
        XCTAssertThrowsError(try DocsExamples.Document("<!-- docs-example: run -->\n```sh\nfalse\n```\n", name: "fails.md").rendered(binaries: URL(fileURLWithPath: "/")))
    }
}

/// Finds, runs and rewrites the documentation's example blocks (see `DocsExamplesTests`).
enum DocsExamples {
    static let runMarker = "<!-- docs-example: run -->"
    static let outputMarker = "<!-- docs-example: output -->"

    /// Every Markdown page of the package's documentation.
    static func pages() -> [URL] {
        let root = TestSupport.packageRoot
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)) ?? []
        return ["README.md", "DESIGN.md"].map { root.appendingPathComponent($0) }
            + docs.filter { $0.hasSuffix(".md") }.sorted().map { root.appendingPathComponent("docs/\($0)") }
    }

    /// Where the `encore` to run is: the release build when it is newer than every source file
    /// (training the documented models takes seconds there and a minute in a debug build, and
    /// both builds give the same digits), otherwise the debug build the tests were built with.
    static func binaryDirectory() -> URL {
        let debug = URL(fileURLWithPath: TestSupport.encoreBinary).deletingLastPathComponent()
        let release = TestSupport.packageRoot.appendingPathComponent(".build/release/encore")
        guard let built = modified(release.path) else { return debug }
        var sources = [TestSupport.packageRoot.appendingPathComponent("Package.swift").path]
        let folder = TestSupport.packageRoot.appendingPathComponent("Sources")
        for file in FileManager.default.enumerator(atPath: folder.path)?.compactMap({ $0 as? String }) ?? [] {
            sources.append(folder.appendingPathComponent(file).path)
        }
        let newest = sources.compactMap(modified).max() ?? .distantFuture
        return built >= newest ? release.deletingLastPathComponent() : debug
    }

    private static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// `text` with what varies between runs replaced by placeholders: durations, "…seconds…"
    /// JSON members, the thread count and the machine's CPU, vector kernels and BLAS.
    static func masked(_ text: String) -> String {
        var result = text
        for (pattern, replacement) in [
            (#""([a-z_]*seconds[a-z_]*)":-?[0-9][0-9.eE+-]*"#, #""$1":…"#),
            (#""threads":[0-9]+"#, #""threads":…"#),
            // What the program runs on (the train JSON's last members) is the machine's.
            (#""(cpu|vector_kernels|blas|blas_core)":"[^"]*""#, #""$1":"…""#),
            (#"\b[0-9]+(\.[0-9]+)? (ms|s)\b"#, "… s"),
        ] {
            result = result.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return result
    }

    /// The first line where `old` and `new` differ, with a little context, for a failure message.
    static func firstDifference(_ old: String, _ new: String) -> String {
        let a = old.components(separatedBy: "\n"), b = new.components(separatedBy: "\n")
        var line = 0
        while line < min(a.count, b.count) && masked(a[line]) == masked(b[line]) { line += 1 }
        let shown = { (lines: [String]) in lines[min(line, lines.count)..<min(line + 4, lines.count)].joined(separator: "\n    ") }
        return "  line \(line + 1), the page says:\n    \(shown(a))\n  the program prints:\n    \(shown(b))"
    }

    /// A page split into plain text and example blocks.
    struct Document {
        enum Part {
            case text(String)
            /// A block of set-up commands: its lines, kept as written.
            case run(lines: [String])
            /// The fence line, then each command (its lines as written) with the output shown.
            case output(fence: String, examples: [(command: [String], output: [String])])
        }
        var parts: [Part] = []
        var hasExamples: Bool { parts.contains { if case .text = $0 { return false } else { return true } } }

        init(_ text: String, name: String) throws {
            let lines = text.components(separatedBy: "\n")
            var index = 0
            var plain: [String] = []
            func flush() {
                if !plain.isEmpty { parts.append(.text(plain.joined(separator: "\n"))) }
                plain = []
            }
            while index < lines.count {
                let line = lines[index]
                let marker = line.trimmingCharacters(in: .whitespaces)
                guard marker == runMarker || marker == outputMarker else {
                    plain.append(line)
                    index += 1
                    continue
                }
                plain.append(line)
                flush()
                guard index + 1 < lines.count, lines[index + 1].hasPrefix("```") else {
                    throw DocsError("\(name):\(index + 1): \(marker) must be followed by a fenced block")
                }
                let fence = lines[index + 1]
                var end = index + 2
                while end < lines.count && lines[end] != "```" { end += 1 }
                guard end < lines.count else { throw DocsError("\(name):\(index + 2): the example block is never closed") }
                let body = Array(lines[(index + 2)..<end])
                if marker == runMarker {
                    plain.append(fence)
                    flush()
                    parts.append(.run(lines: body))
                    plain.append("```")
                } else {
                    parts.append(.output(fence: fence, examples: try Document.examples(body, name: name, firstLine: index + 3)))
                    plain.append("```")
                }
                index = end + 1
            }
            flush()
        }

        /// The `$ ` commands of an output block (a line ending in a backslash goes on) and the
        /// lines after each.
        static func examples(_ body: [String], name: String, firstLine: Int) throws -> [(command: [String], output: [String])] {
            var examples: [(command: [String], output: [String])] = []
            var index = 0
            while index < body.count {
                guard body[index].hasPrefix("$ ") else {
                    if examples.isEmpty && !body[index].isEmpty { throw DocsError("\(name):\(firstLine + index): an example block starts with a '$ ' command") }
                    if !examples.isEmpty { examples[examples.count - 1].output.append(body[index]) }
                    index += 1
                    continue
                }
                var command = [body[index]]
                while command.last!.hasSuffix("\\") && index + 1 < body.count {
                    index += 1
                    command.append(body[index])
                }
                examples.append((command, []))
                index += 1
            }
            return examples
        }

        /// The page with every example block's output as the program prints it now; set-up
        /// commands must succeed.
        func rendered(binaries: URL) throws -> String {
            let shell = try Shell(binaries: binaries)
            defer { shell.close() }
            var pieces: [String] = []
            for part in parts {
                switch part {
                case let .text(text):
                    pieces.append(text)
                case let .run(lines):
                    for command in Document.commands(lines) {
                        let (status, output) = try shell.run(command)
                        guard status == 0 else { throw DocsError("set-up command failed (status \(status)): \(command)\n\(output)") }
                    }
                    pieces.append(lines.joined(separator: "\n"))
                case let .output(fence, examples):
                    var block = [fence]
                    for (number, example) in examples.enumerated() {
                        if number > 0 { block.append("") }
                        block += example.command
                        let text = example.command.joined(separator: "\n").dropFirst(2)
                        var output = try shell.run(String(text)).output.components(separatedBy: "\n")
                        while output.last?.isEmpty == true { output.removeLast() }
                        block += output
                    }
                    pieces.append(block.joined(separator: "\n"))
                }
            }
            return pieces.joined(separator: "\n")
        }

        /// The commands of a set-up block: lines joined where one ends in a backslash; blank
        /// lines and comments skipped.
        static func commands(_ lines: [String]) -> [String] {
            var commands: [String] = []
            var current = ""
            for line in lines {
                current += (current.isEmpty ? "" : "\n") + line
                if line.hasSuffix("\\") { continue }
                let trimmed = current.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty && !trimmed.hasPrefix("#") { commands.append(current) }
                current = ""
            }
            return commands
        }
    }

    /// A folder to run one page's commands in, beside a link to the shared data.
    final class Shell {
        let folder: URL
        let work: URL
        let binaries: URL

        init(binaries: URL) throws {
            self.binaries = binaries
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("encore-docs-\(UUID().uuidString)")
            work = folder.appendingPathComponent("work")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let shared = TestSupport.packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("shared"), withDestinationURL: shared)
        }

        /// Runs `command` with /bin/sh; stdout and stderr in the order they were written.
        func run(_ command: String) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            process.currentDirectoryURL = work
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] = binaries.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        func close() { try? FileManager.default.removeItem(at: folder) }
    }

    struct DocsError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
