import Foundation
import XCTest

/// The build prints no compiler warning: a warning in a log nobody reads is how real problems
/// (an ignored result, a value never used) slip past review.
///
/// The compiler writes each file's diagnostics to a serialized-diagnostics file beside its object
/// file (`.build/<triple>/debug/<Target>.build/<File>.dia`), rewritten whenever the file is
/// compiled, so after `swift test` has built everything these files hold exactly what the build
/// printed. A file that compiled cleanly holds only the format's preamble; every warning adds a
/// top-level DIAG block (its notes nest inside it). Errors cannot be there: the build would
/// have failed.
final class CompilerWarningsTests: XCTestCase {
    func testNoSourceOrTestFileCompilesWithAWarning() throws {
        let fileManager = FileManager.default
        var checked = 0
        var warned: [String] = []
        for folder in ["Sources", "Tests"] {
            let root = TestSupport.packageRoot.appendingPathComponent(folder)
            for target in try fileManager.contentsOfDirectory(atPath: root.path).sorted() {
                let objects = TestSupport.buildDirectory.appendingPathComponent("\(target).build")
                guard let enumerator = fileManager.enumerator(atPath: root.appendingPathComponent(target).path) else { continue }
                // Only the files the package has now: a renamed file's old .dia stays behind.
                let sources = enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
                for source in sources.sorted() {
                    let stem = ((source as NSString).lastPathComponent as NSString).deletingPathExtension
                    guard let data = fileManager.contents(atPath: objects.appendingPathComponent("\(stem).dia").path) else { continue }
                    checked += 1
                    let diagnostics = try XCTUnwrap(SerializedDiagnostics.topLevelDiagnostics(in: [UInt8](data)), "\(folder)/\(target)/\(source): unreadable .dia file")
                    if diagnostics > 0 { warned.append("\(folder)/\(target)/\(source): \(diagnostics) warning\(diagnostics == 1 ? "" : "s")") }
                }
            }
        }
        if checked == 0 { throw XCTSkip("no serialized diagnostics beside the test bundle (\(TestSupport.buildDirectory.path))") }
        XCTAssertEqual(warned, [], "compiler warnings (run `swift build --build-tests` to see them):\n" + warned.joined(separator: "\n"))
    }

    func testTheDiagnosticsReaderCountsDiagnosticBlocks() {
        // 'DIAG', then at abbreviation width 2: a META block (id 8) and two DIAG blocks (id 9),
        // each entered with abbreviation 1, its id as VBR-8, its abbreviation width as VBR-4,
        // aligned to 32 bits, then its length in words and that many words.
        var writer = BitWriter()
        for block in [(8, 1), (9, 2), (9, 0)] {
            writer.write(1, bits: 2)
            writer.write(UInt64(block.0), bits: 8)
            writer.write(3, bits: 4)
            writer.align32()
            writer.write(UInt64(block.1), bits: 32)
            for _ in 0..<block.1 { writer.write(0xDEAD_BEEF, bits: 32) }
        }
        XCTAssertEqual(SerializedDiagnostics.topLevelDiagnostics(in: Array("DIAG".utf8) + writer.bytes), 2)
        XCTAssertEqual(SerializedDiagnostics.topLevelDiagnostics(in: Array("DIAG".utf8)), 0)
        XCTAssertNil(SerializedDiagnostics.topLevelDiagnostics(in: Array("BC".utf8)))
    }

    /// Bits as LLVM's bitstream lays them out: least significant first.
    struct BitWriter {
        var bytes: [UInt8] = []
        var bitCount = 0
        mutating func write(_ value: UInt64, bits: Int) {
            for bit in 0..<bits {
                if bitCount % 8 == 0 { bytes.append(0) }
                if value >> UInt64(bit) & 1 == 1 { bytes[bitCount / 8] |= 1 << UInt8(bitCount % 8) }
                bitCount += 1
            }
        }
        mutating func align32() { while bitCount % 32 != 0 { write(0, bits: 1) } }
    }
}

/// Just enough of clang's serialized-diagnostics format (an LLVM bitstream) to count the
/// diagnostics in a file: the top level is a sequence of blocks, each of which says its own
/// length, so the reader steps over them without decoding their records.
enum SerializedDiagnostics {
    /// The block id of one diagnostic (`BLOCK_DIAG`, after `BLOCK_META` = 8, the first
    /// application block id).
    static let diagnosticBlock: UInt64 = 9

    /// How many top-level diagnostics `bytes` holds, or nil when it is not a diagnostics file.
    static func topLevelDiagnostics(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4, Array(bytes[0..<4]) == Array("DIAG".utf8) else { return nil }
        var position = 32
        let end = bytes.count * 8
        func read(_ width: Int) -> UInt64? {
            guard position + width <= end else { return nil }
            var value: UInt64 = 0
            for bit in 0..<width where bytes[(position + bit) / 8] >> UInt8((position + bit) % 8) & 1 == 1 {
                value |= 1 << UInt64(bit)
            }
            position += width
            return value
        }
        func vbr(_ width: Int) -> UInt64? {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard let chunk = read(width), shift < 64 else { return nil }
                value |= (chunk & ((1 << UInt64(width - 1)) - 1)) << shift
                if chunk >> UInt64(width - 1) == 0 { return value }
                shift += UInt64(width - 1)
            }
        }
        var diagnostics = 0
        // The top level's abbreviation width is 2, and everything there is a block (ENTER_SUBBLOCK = 1).
        while end - position >= 32 {
            guard read(2) == 1, let block = vbr(8), vbr(4) != nil else { return nil }
            position = (position + 31) / 32 * 32
            guard let words = read(32) else { return nil }
            position += Int(words) * 32
            guard position <= end else { return nil }
            if block == diagnosticBlock { diagnostics += 1 }
        }
        return diagnostics
    }
}
