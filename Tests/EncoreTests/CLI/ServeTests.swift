import XCTest
@testable import Encore

/// `encore serve` as a user runs it: the real binary on a free loopback port, driven by curl.
final class ServeTests: XCTestCase {
    /// A running server and how to talk to it.
    final class Server {
        let process = Process()
        let errors = Pipe()
        var port = 0
        var log = ""

        init(model: String, extra: [String] = []) throws {
            process.executableURL = URL(fileURLWithPath: TestSupport.encoreBinary)
            process.arguments = ["serve", model, "--port", "0", "--threads", "2", "--timeout", "2"] + extra
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // The server says where it listens on its first stderr line.
            var buffer = Data()
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                buffer.append(errors.fileHandleForReading.availableData)
                let text = String(decoding: buffer, as: UTF8.self)
                if let range = text.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    port = Int(text[range].split(separator: ":")[1])!
                    log = text
                    return
                }
                if !process.isRunning { break }
            }
            throw XCTSkip("the server did not start: \(String(decoding: buffer, as: UTF8.self))")
        }

        /// (status, body) of one request.
        func request(_ path: String, method: String = "GET", body: String? = nil, headers: [String] = []) throws -> (Int, String) {
            var arguments = ["-s", "-g", "-o", "-", "-w", "\n%{http_code}", "-X", method, "http://127.0.0.1:\(port)\(path)"]
            for header in headers { arguments += ["-H", header] }
            if let body { arguments += ["--data-binary", body] }
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = arguments
            let out = Pipe()
            curl.standardOutput = out
            try curl.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            curl.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            let split = text.range(of: "\n", options: .backwards)!
            return (Int(text[split.upperBound...]) ?? -1, String(text[..<split.lowerBound]))
        }

        func json(_ path: String, method: String = "GET", body: String? = nil) throws -> [String: Any] {
            let (status, text) = try request(path, method: method, body: body)
            XCTAssertEqual(status, 200, text)
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
        }

        func signal(_ number: Int32) { kill(process.processIdentifier, number) }

        func waitForExit() -> Int32 {
            process.waitUntilExit()
            log += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return process.terminationStatus
        }
    }

    func trainModel(in directory: URL, name: String = "m.encore") throws -> String {
        var rows = ""
        for u in 0..<30 { for i in 0..<20 where u % 2 == i % 2 { rows += "u\(u)\ta\(i)\t\(1 + (u + i) % 5)\n" } }
        let data = try TestSupport.write(rows, to: "plays.tsv", in: directory)
        let model = directory.appendingPathComponent(name).path
        let run = try TestSupport.encore(["train", data, "--output", model, "--factors", "4", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        return model
    }

    func testEveryRouteAndEveryErrorCase() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let model = try trainModel(in: directory)
        let server = try Server(model: model, extra: ["--admin-token", "t0ken", "--body-limit", "2000"])
        defer { server.signal(SIGKILL) }

        let recommendations = try server.json("/v1/users/u4/recommendations?count=3")
        XCTAssertEqual(recommendations["user"] as? String, "u4")
        let list = try XCTUnwrap(recommendations["recommendations"] as? [[String: Any]])
        XCTAssertEqual(list.count, 3)
        XCTAssertTrue(list.allSatisfy { Int(($0["item"] as! String).dropFirst())! % 2 == 1 }, "u4 already has every even artist: \(list)")
        let seen = try XCTUnwrap(try server.json("/v1/users/u4/recommendations?count=3&include_seen=true")["recommendations"] as? [[String: Any]])
        XCTAssertTrue(seen.allSatisfy { Int(($0["item"] as! String).dropFirst())! % 2 == 0 })

        let similar = try server.json("/v1/items/a2/similar?count=4")
        XCTAssertEqual((similar["similar"] as? [[String: Any]])?.count, 4)
        let radio = try server.json("/v1/radio?seed=a2&seed=a4&length=5&user=u6")
        let station = try XCTUnwrap(radio["station"] as? [[String: Any]])
        XCTAssertEqual(station.map { $0["position"] as? Int }, [1, 2, 3, 4, 5])
        XCTAssertTrue(station.allSatisfy { $0["reason"] is String })
        let foldIn = try server.json("/v1/recommendations", method: "POST", body: #"{"plays": {"a1": 5, "a3": 1, "a5": 0}, "count": 3}"#)
        XCTAssertEqual((foldIn["recommendations"] as? [[String: Any]])?.count, 3)
        let explain = try server.json("/v1/users/u4/explain?item=a6")
        let contributions = try XCTUnwrap(explain["contributions"] as? [[String: Any]])
        XCTAssertEqual(contributions.compactMap { $0["contribution"] as? Double }.reduce(0, +), explain["score"] as! Double, accuracy: 1e-4)
        XCTAssertEqual((try server.json("/healthz"))["status"] as? String, "ok")

        let errors: [(String, String, String?, Int)] = [
            ("/v1/users/nobody/recommendations", "GET", nil, 404),
            ("/v1/items/nothing/similar", "GET", nil, 404),
            ("/v1/users/u4/recommendations?count=0", "GET", nil, 400),
            ("/v1/users/u4/recommendations?count=abc", "GET", nil, 400),
            ("/v1/users/u4/recommendations?count=1000000", "GET", nil, 400),
            ("/v1/users/u4/recommendations?include_seen=maybe", "GET", nil, 400),
            ("/v1/radio", "GET", nil, 400),
            ("/v1/radio?seed=a2&length=-1", "GET", nil, 400),
            ("/v1/users/u4/explain", "GET", nil, 400),
            ("/v1/users/u4/explain?item=", "GET", nil, 400),
            ("/v1/radio?seed=", "GET", nil, 400),
            ("/v1/users/%ZZ/recommendations", "GET", nil, 400),
            ("/v1/items/a2/similar?count=%4", "GET", nil, 400),
            ("/v1/recommendations", "POST", "{not json", 400),
            ("/v1/recommendations", "POST", #"{"plays": {}}"#, 400),
            ("/v1/recommendations", "POST", #"{"plays": {"a1": -3}}"#, 400),
            ("/v1/recommendations", "POST", #"{"plays": {"a1": "x"}}"#, 400),
            ("/v1/recommendations", "POST", #"{"plays": {"a1": true}}"#, 400),
            ("/v1/recommendations", "POST", #"{"plays": {"a1": 2}, "count": true}"#, 400),
            ("/v1/recommendations", "POST", #"{"plays": {"nope": 3}}"#, 404),
            ("/v1/recommendations", "POST", #"{"plays": {"a1": 3}, "count": 0}"#, 400),
            ("/v1/recommendations", "POST", String(repeating: "x", count: 5000), 413),
            ("/v1/recommendations", "GET", nil, 405),
            ("/v1/nothing/here", "GET", nil, 404),
            ("/v1/admin/reload", "POST", nil, 401),
        ]
        for (path, method, body, status) in errors {
            let (got, text) = try server.request(path, method: method, body: body)
            XCTAssertEqual(got, status, "\(method) \(path): \(text)")
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            XCTAssertEqual(object?["status"] as? Int, status, "a JSON error body for \(method) \(path): \(text)")
            XCTAssertNotNil(object?["error"] as? String)
        }
        let (_, metrics) = try server.request("/metrics")
        XCTAssertTrue(metrics.contains("encore_requests_total{route=\"/v1/users/{id}/recommendations\",status=\"200\"} 2"), metrics)
        XCTAssertTrue(metrics.contains("encore_request_errors_total{route=\"/v1/recommendations\"}"), metrics)
        XCTAssertTrue(metrics.contains("encore_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 1"), metrics)
        XCTAssertTrue(metrics.contains("encore_model_version 1"), metrics)
        XCTAssertTrue(metrics.contains("encore_build_info{version=\"\(EncoreLibrary.version)\",cpu=\""), metrics)
        // Still answering after all of that.
        XCTAssertEqual((try server.json("/healthz"))["model_version"] as? Int, 1)
    }

    func testSimilarAndRadioLeaveOutArtistsWithFewListeners() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        var rows = ""
        for u in 0..<30 { for i in 0..<20 where u % 2 == i % 2 { rows += "u\(u)\ta\(i)\t\(1 + (u + i) % 5)\n" } }
        // Artists only u0 plays, and one with three listeners.
        for niche in 0..<4 { rows += "u0\tniche\(niche)\t9\n" }
        for u in [1, 3, 5] { rows += "u\(u)\tsmall\t4\n" }
        let data = try TestSupport.write(rows, to: "plays.tsv", in: directory)
        let model = directory.appendingPathComponent("m.encore").path
        XCTAssertEqual(try TestSupport.encore(["train", data, "--output", model, "--factors", "4", "--quiet"]).status, 0)
        let server = try Server(model: model)
        defer { server.signal(SIGKILL) }
        func ids(_ objects: Any?) -> [String] { (objects as? [[String: Any]] ?? []).compactMap { $0["item"] as? String } }

        let similar = try server.json("/v1/items/niche0/similar?count=30")
        XCTAssertEqual(similar["min_listeners"] as? Int, 5)
        XCTAssertEqual(Set(ids(similar["similar"])), Set((0..<20).map { "a\($0)" }))
        XCTAssertEqual(similar["warning"] as? String, "niche0 has 1 listener, fewer than 5: its similar artists say little")
        let three = try server.json("/v1/items/a0/similar?count=30&min_listeners=3")
        XCTAssertEqual(Set(ids(three["similar"])), Set((1..<20).map { "a\($0)" } + ["small"]))
        XCTAssertNil(three["warning"])
        let all = try server.json("/v1/items/niche0/similar?count=3&min_listeners=0")
        XCTAssertEqual(Set(ids(all["similar"])), ["niche1", "niche2", "niche3"])

        let radio = try server.json("/v1/radio?seed=niche0&seed=a2&length=19")
        XCTAssertEqual(radio["min_listeners"] as? Int, 5)
        XCTAssertEqual(Set(ids(radio["station"])), Set((0..<20).map { "a\($0)" }).subtracting(["a2"]))
        XCTAssertEqual(radio["warnings"] as? [String], ["niche0 has 1 listener, fewer than 5: its similar artists say little"])
        XCTAssertEqual(try server.request("/v1/radio?seed=a2&length=20").0, 400, "only 19 artists besides the seed have 5 listeners")
        XCTAssertEqual(Set(ids(try server.json("/v1/radio?seed=a2&length=24&min_listeners=0")["station"])).count, 24)

        for bad in ["-1", "abc", "", "1.5"] {
            let (status, text) = try server.request("/v1/items/a0/similar?min_listeners=\(bad)")
            XCTAssertEqual(status, 400, text)
            XCTAssertTrue(text.contains("min_listeners must be a whole number ≥ 0 (got '\(bad)')"), text)
            XCTAssertEqual(try server.request("/v1/radio?seed=a0&min_listeners=\(bad)").0, 400)
        }
    }

    func testReloadSwapsGoodFilesRefusesBadOnesAndShutdownIsClean() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let model = try trainModel(in: directory)
        let server = try Server(model: model, extra: ["--admin-token", "t0ken"])
        let replacement = try trainModel(in: directory, name: "new.encore")

        // A corrupted file is refused; the old model keeps serving. It is renamed over the
        // served file, as a deployment replaces it: the server reads the old one's mapping.
        let original = try Data(contentsOf: URL(fileURLWithPath: model))
        var damaged = original
        damaged[damaged.count / 2] ^= 0xFF
        try damaged.write(to: URL(fileURLWithPath: model), options: .atomic)
        let (status, text) = try server.request("/v1/admin/reload", method: "POST", headers: ["Authorization: Bearer t0ken"])
        XCTAssertEqual(status, 409, text)
        XCTAssertTrue(text.contains("checksum"), text)
        server.signal(SIGHUP)
        usleep(300_000)
        XCTAssertEqual((try server.json("/healthz"))["model_version"] as? Int, 1)
        XCTAssertEqual((try server.json("/v1/users/u4/recommendations?count=2")["recommendations"] as? [Any])?.count, 2)

        // A good file is swapped in, by token and by SIGHUP.
        try FileManager.default.removeItem(atPath: model)
        try FileManager.default.copyItem(atPath: replacement, toPath: model)
        let (reloaded, body) = try server.request("/v1/admin/reload", method: "POST", headers: ["Authorization: Bearer t0ken"])
        XCTAssertEqual(reloaded, 200, body)
        server.signal(SIGHUP)
        var version = 0
        for _ in 0..<50 where version != 3 {
            usleep(100_000)
            version = (try server.json("/healthz"))["model_version"] as? Int ?? 0
        }
        XCTAssertEqual(version, 3)

        server.signal(SIGTERM)
        XCTAssertEqual(server.waitForExit(), 0)
        XCTAssertTrue(server.log.contains("reload refused"), server.log)
        XCTAssertTrue(server.log.contains("stopped"), server.log)
    }

    func testRefusedReloadsOfTruncatedAndForeignFilesChangeNothingAndAreCounted() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let model = try trainModel(in: directory)
        let server = try Server(model: model, extra: ["--admin-token", "t0ken"])
        let good = try Data(contentsOf: URL(fileURLWithPath: model))
        let foreign = try Data(contentsOf: directory.appendingPathComponent("plays.tsv"))
        func metric(_ name: String) throws -> Int? {
            let (_, text) = try server.request("/metrics")
            return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ")[1]) }
        }
        // Replaced the way a deployment should: written beside it, then renamed over it.
        func replace(with data: Data) throws {
            let staging = directory.appendingPathComponent("staging").path
            try data.write(to: URL(fileURLWithPath: staging))
            XCTAssertEqual(rename(staging, model), 0)
        }
        let question = "/v1/users/u4/recommendations?count=5"
        let (status, before) = try server.request(question)
        XCTAssertEqual(status, 200, before)
        XCTAssertEqual(try metric("encore_model_reloads_total"), 0)
        XCTAssertEqual(try metric("encore_model_reloads_failed_total"), 0)

        var failed = 0
        for (name, bad) in [("truncated", good.prefix(good.count / 2)), ("foreign", foreign)] {
            try replace(with: Data(bad))
            let (refused, text) = try server.request("/v1/admin/reload", method: "POST", headers: ["Authorization: Bearer t0ken"])
            XCTAssertEqual(refused, 409, "\(name): \(text)")
            XCTAssertTrue(text.contains("refused") && text.contains("old model keeps serving"), "\(name): \(text)")
            failed += 1
            XCTAssertEqual(try metric("encore_model_reloads_failed_total"), failed, name)
            server.signal(SIGHUP)
            failed += 1
            var counted: Int?
            for _ in 0..<50 where counted != failed {
                usleep(50_000)
                counted = try metric("encore_model_reloads_failed_total")
            }
            XCTAssertEqual(counted, failed, name)
            XCTAssertEqual(try metric("encore_model_reloads_total"), 0, name)
            XCTAssertEqual(try metric("encore_model_version"), 1, name)
            let (again, after) = try server.request(question)
            XCTAssertEqual(again, 200, name)
            XCTAssertEqual(after, before, "\(name): the answer changed after a refused reload")
        }

        // The good file again: both ways swap it in, and the answer is the same model's.
        try replace(with: good)
        XCTAssertEqual(try server.request("/v1/admin/reload", method: "POST", headers: ["Authorization: Bearer t0ken"]).0, 200)
        server.signal(SIGHUP)
        var version: Int?
        for _ in 0..<50 where version != 3 {
            usleep(50_000)
            version = try metric("encore_model_version")
        }
        XCTAssertEqual(version, 3)
        XCTAssertEqual(try metric("encore_model_reloads_total"), 2)
        XCTAssertEqual(try metric("encore_model_reloads_failed_total"), 4)
        XCTAssertEqual(try server.request(question).1, before)

        server.signal(SIGTERM)
        XCTAssertEqual(server.waitForExit(), 0)
        XCTAssertEqual(server.log.components(separatedBy: "reload refused, the old model keeps serving").count - 1, 2, server.log)
    }
}
