// libFuzzer entry points for everything Encore reads from outside: delimited text under each
// dataset preset, the model file, the training checkpoint and HTTP requests. Built and run only by
// scripts/fuzz (ENCORE_FUZZ=1 swift build -Xswiftc -sanitize=fuzzer,address …); the target is
// chosen by ENCORE_FUZZ_TARGET. Every input must end in a result or a thrown error: a trap, an
// out-of-bounds access, a leak, a hang or a broken invariant checked below is a finding.
import Encore
import EncoreServe
import Foundation

/// The target this process fuzzes, read once.
let target = ProcessInfo.processInfo.environment["ENCORE_FUZZ_TARGET"] ?? ""

/// A private scratch folder in memory-backed storage for the readers that take a path.
let scratch: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = (base as NSString).appendingPathComponent("encore-fuzz-\(getpid())")
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratch) }
    return path
}()

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("encore-fuzz [\(target)]: \(message)\n".utf8))
    abort()
}

func write(_ bytes: [UInt8], to path: String) {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fail("cannot write \(path)") }
}

// MARK: delimited text

/// Reads `bytes` as `format` in one pass and in three slices; the two must agree (same report and
/// observations, or both an error), as `DelimitedReader.parseInSlices` promises.
func fuzzDelimited(_ bytes: [UInt8], format: DatasetFormat, custom: DelimitedReadOptions = DelimitedReadOptions()) {
    let options = format.readOptions(custom: custom)
    bytes.withUnsafeBufferPointer { buffer in
        let whole = Result { try DelimitedReader.parseInOnePass(buffer, fileName: "fuzz", options: options) }
        let sliced = Result { try DelimitedReader.parseInSlices(buffer, fileName: "fuzz", options: options, slices: 3) }
        switch (whole, sliced) {
        case let (.success(a), .success(b)):
            guard a.1 == b.1, a.0.userIDs.ids == b.0.userIDs.ids, a.0.itemIDs.ids == b.0.itemIDs.ids, a.0.users == b.0.users,
                  a.0.items == b.0.items, a.0.weights == b.0.weights, a.0.timestamps == b.0.timestamps
            else { fail("one pass and three slices disagree") }
            guard a.0.weights.allSatisfy({ $0.isFinite && $0 >= 0 }) else { fail("a weight is not finite and ≥ 0") }
            _ = a.0.userItemMatrix()
        case (.failure, .failure): break
        case let (.success, .failure(error)): fail("one pass succeeds, three slices fail: \(error)")
        case let (.failure(error), .success): fail("three slices succeed, one pass fails: \(error)")
        }
    }
}

/// The first byte picks the custom layout for `.delimited` (delimiter, header mode, timestamp and
/// skip flags); the rest is the text.
func fuzzDelimitedCustom(_ bytes: [UInt8]) {
    guard let selector = bytes.first else { return }
    var custom = DelimitedReadOptions()
    custom.delimiter = [FieldDelimiter.auto, .exactly(","), .exactly("\t"), .exactly("::")][Int(selector & 3)]
    custom.header = [HeaderMode.auto, .present, .absent, .auto][Int((selector >> 2) & 3)]
    if selector & 16 != 0 { custom.timestampColumn = .index(3) }
    if selector & 32 != 0 { custom.skipInvalid = true }
    if selector & 64 != 0 { custom.weightColumn = nil }
    if selector & 128 != 0 { custom.itemColumn = .name("item") }
    fuzzDelimited(Array(bytes.dropFirst()), format: .delimited, custom: custom)
}

// MARK: model file

/// Checksum and payload length made right, so that mutations reach the payload's sections.
func repairedModelFile(_ bytes: [UInt8]) -> [UInt8]? {
    guard bytes.count >= 32 else { return nil }
    if bytes[8] == 4 { return resealedVersion4(bytes) }
    var file = Array(bytes[..<(bytes.count - 8)])
    withUnsafeBytes(of: UInt64(file.count - 24).littleEndian) { file.replaceSubrange(16..<24, with: $0) }
    let sum = file.withUnsafeBytes { Checksum.of($0) }
    withUnsafeBytes(of: sum) { file.append(contentsOf: $0) }
    return file
}

/// A version 4 file with every chunk's checksum, the table's length and the table's checksum made
/// right, keeping the sections its chunk table names (nil when the table cannot be read), so
/// that mutations reach the sections, including those a one-shot load leaves to a user lookup.
func resealedVersion4(_ bytes: [UInt8]) -> [UInt8]? {
    func word(_ offset: Int) -> Int? {
        guard offset >= 0, offset + 8 <= bytes.count else { return nil }
        return Int(exactly: bytes[offset..<(offset + 8)].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
    }
    guard bytes.count >= 40, let payload = word(16), payload <= bytes.count - 40 else { return nil }
    let tableStart = 24 + payload
    guard let chunkSize = word(tableStart), (1...(1 << 20)).contains(chunkSize),
          let sectionCount = word(tableStart + 8), sectionCount <= 16 else { return nil }
    var file = Array(bytes[..<tableStart]), table = Array(bytes[tableStart..<(tableStart + 16)])
    for s in 0..<sectionCount {
        // Each section: kind, start, length.
        guard let start = word(tableStart + 24 + 24 * s), let length = word(tableStart + 32 + 24 * s),
              start <= tableStart, length <= tableStart - start else { return nil }
        table += bytes[(tableStart + 16 + 24 * s)..<(tableStart + 40 + 24 * s)]
    }
    for s in 0..<sectionCount {
        let start = word(tableStart + 24 + 24 * s)!, length = word(tableStart + 32 + 24 * s)!
        for chunk in stride(from: start, to: start + length, by: chunkSize) {
            let sum = bytes[chunk..<min(chunk + chunkSize, start + length)].withUnsafeBytes { Checksum.of($0) }
            withUnsafeBytes(of: sum.littleEndian) { table += $0 }
        }
    }
    withUnsafeBytes(of: UInt64(table.count).littleEndian) { table += $0 }
    let root = table.withUnsafeBytes { Checksum.of($0) }
    withUnsafeBytes(of: root.littleEndian) { table += $0 }
    file += table
    return file
}

func fuzzModelFile(_ bytes: [UInt8]) {
    let path = (scratch as NSString).appendingPathComponent("model.encore")
    for candidate in [bytes, repairedModelFile(bytes)].compactMap({ $0 }) {
        write(candidate, to: path)
        do {
            let model = try ModelFile.read(from: path)
            // A model that loads must be usable as the server uses it.
            _ = model.normalizedItemFactors
            _ = model.listenerCounts
            if model.userCount > 0 { _ = TopNRecommendation.recommend(model.factors, user: 0, count: 3, seen: model.interactions) }
        } catch is EncoreError {
        } catch {
            fail("ModelFile.read threw a non-Encore error: \(error)")
        }
        // As the one-shot commands load it: what they read must be checked before it is used.
        for checking in [ModelFile.Checking.deferringUserRows, .deferringUserFactors] {
            do {
                let model = try ModelFile.read(from: path, checking: checking)
                _ = model.normalizedItemFactors
                if case .deferringUserFactors = checking { _ = model.listenerCounts }
                guard model.userCount > 0 else { continue }
                let user = try model.userIndex(model.userIDs.id(at: model.userCount - 1))
                _ = TopNRecommendation.recommend(model, user: user, count: 3, seen: model.interactions)
            } catch is EncoreError {
            } catch {
                fail("ModelFile.read(checking:) threw a non-Encore error: \(error)")
            }
        }
    }
}

// MARK: checkpoint

/// Checksum made right, so that mutations reach the header and the factor sections.
func repairedCheckpoint(_ bytes: [UInt8]) -> [UInt8]? {
    guard bytes.count >= 24 else { return nil }
    var file = Array(bytes[..<(bytes.count - 8)])
    let sum = file.withUnsafeBytes { Checksum.of($0) }
    withUnsafeBytes(of: sum.littleEndian) { file.append(contentsOf: $0) }
    return file
}

func fuzzCheckpoint(_ bytes: [UInt8]) {
    let path = TrainingCheckpoint.path(in: scratch)
    for candidate in [bytes, repairedCheckpoint(bytes)].compactMap({ $0 }) {
        write(candidate, to: path)
        do {
            guard let checkpoint = try TrainingCheckpoint.read(from: scratch, expecting: "fuzz") else { fail("the checkpoint was not found") }
            guard checkpoint.factors > 0, checkpoint.userFactors.count % checkpoint.factors == 0,
                  checkpoint.itemFactors.count % checkpoint.factors == 0, checkpoint.iteration >= 0
            else { fail("a checkpoint with impossible shapes was accepted") }
        } catch is EncoreError {
        } catch {
            fail("TrainingCheckpoint.read threw an unexpected error: \(error)")
        }
    }
}

// MARK: HTTP

/// The router over a small real model (ENCORE_FUZZ_MODEL), one admin token, two scoring threads.
let router: APIRouter = {
    guard let path = ProcessInfo.processInfo.environment["ENCORE_FUZZ_MODEL"] else { fail("set ENCORE_FUZZ_MODEL to a model file") }
    do {
        return APIRouter(models: try ModelHolder(path: path), adminToken: "fuzz-token", scoringThreads: 2)
    } catch {
        fail("cannot load \(path): \(error)")
    }
}()

/// Decodes %XX as libmicrohttpd does (an escape it cannot decode stays as it was) and '+' as a
/// space in query arguments.
func unescape(_ text: Substring, plus: Bool) -> String {
    var out: [UInt8] = []
    let bytes = Array(text.utf8)
    var index = 0
    func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 65...70: return byte - 55
        case 97...102: return byte - 87
        default: return nil
        }
    }
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
            out.append(high << 4 | low)
            index += 3
        } else {
            out.append(plus && bytes[index] == UInt8(ascii: "+") ? 0x20 : bytes[index])
            index += 1
        }
    }
    // C strings end at the first NUL: the server hands the router nothing past it.
    if let nul = out.firstIndex(of: 0) { out.removeSubrange(nul...) }
    return String(decoding: out, as: UTF8.self)
}

/// The input is a raw HTTP/1.1 request: request line, headers (Authorization is kept), a blank
/// line, the body. It is split as the server splits it and the router answers it; every answer
/// must be JSON (or the metrics text) with a status the router may give, never 500.
func fuzzHTTP(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let (head, body): (Substring, [UInt8]) = {
        guard let range = text.range(of: "\r\n\r\n") else { return (Substring(text), []) }
        return (text[..<range.lowerBound], Array(text[range.upperBound...].utf8))
    }()
    let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
    let requestLine = lines.first?.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false) ?? []
    guard requestLine.count >= 2, !requestLine[0].isEmpty else { return }
    let target = requestLine[1]
    let pathPart = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    var arguments: [(name: String, value: String)] = []
    if pathPart.count == 2 {
        for pair in pathPart[1].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            arguments.append((unescape(parts[0], plus: true), parts.count == 2 ? unescape(parts[1], plus: true) : ""))
        }
    }
    var authorization: String?
    for line in lines.dropFirst() {
        let field = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        if field.count == 2, field[0].lowercased() == "authorization" { authorization = field[1].trimmingCharacters(in: .whitespaces) }
    }
    let request = HTTPRequest(method: String(requestLine[0]), path: unescape(pathPart[0], plus: false), arguments: arguments,
                              authorization: authorization, body: body)
    let response = router.handle(request)
    guard [200, 400, 401, 404, 405, 409].contains(response.status) else { fail("status \(response.status): \(response.body)") }
    if response.contentType == "application/json" {
        guard (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) is [String: Any] else {
            fail("the answer is not a JSON object: \(response.body)")
        }
    }
}

// MARK: entry point

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    switch target {
    case "delimited": fuzzDelimitedCustom(bytes)
    case "lastfm-2k": fuzzDelimited(bytes, format: .lastfm2k)
    case "lastfm-360k": fuzzDelimited(bytes, format: .lastfm360k)
    case "lastfm-1k": fuzzDelimited(bytes, format: .lastfm1k)
    case "echonest": fuzzDelimited(bytes, format: .echoNest)
    case "movielens-csv": fuzzDelimited(bytes, format: .movielensCSV)
    case "movielens-dat": fuzzDelimited(bytes, format: .movielensDat)
    case "model-file": fuzzModelFile(bytes)
    case "checkpoint": fuzzCheckpoint(bytes)
    case "http": fuzzHTTP(bytes)
    default: fail("unknown ENCORE_FUZZ_TARGET '\(target)'")
    }
    return 0
}

/// libFuzzer's driver, called from our own main: SwiftPM links an executable's entry point under
/// its own name (`encore_fuzz_main`), so libFuzzer's `main` cannot be the program's.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@main
struct EncoreFuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data, size) })
    }
}
