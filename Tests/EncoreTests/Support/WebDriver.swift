import Foundation
import XCTest

/// A headless Chromium driven through chromedriver's W3C WebDriver HTTP protocol: a few JSON
/// requests are all the browser tests need, so no WebDriver client library is installed.
/// scripts/setup installs Debian's `chromium` and `chromium-driver`.
final class WebDriver {
    /// Why the browser cannot be started; the tests fail with it rather than skip, because
    /// scripts/setup installs the browser and a missing one is a broken machine.
    struct Unavailable: Error, CustomStringConvertible { let description: String }
    /// An error answer from the WebDriver endpoint.
    struct CommandError: Error, CustomStringConvertible { let description: String }

    private let driver = Process()
    private let base: String
    private var session = ""
    private static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// Starts chromedriver on a free loopback port and opens a headless Chromium session with a
    /// `width`×`height` window.
    init(width: Int = 1280, height: Int = 1400) throws {
        guard let chromedriver = WebDriver.executable("chromedriver"), let chromium = WebDriver.executable("chromium") else {
            throw Unavailable(description: "chromium and chromedriver are not installed; run scripts/setup (it installs Debian's chromium and chromium-driver)")
        }
        let port = try WebDriver.freePort()
        base = "http://127.0.0.1:\(port)"
        driver.executableURL = URL(fileURLWithPath: chromedriver)
        driver.arguments = ["--port=\(port)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        do {
            session = try startSession(chromium: chromium, width: width, height: height)
        } catch {
            // No test will call quit on a driver that failed to start: stop chromedriver here.
            driver.terminate()
            driver.waitUntilExit()
            throw error
        }
    }

    /// Waits for chromedriver to answer, then opens the browser; the session's ID.
    private func startSession(chromium: String, width: Int, height: Int) throws -> String {
        let deadline = Date().addingTimeInterval(20)
        while true {
            do {
                _ = try request("GET", "/status")
                break
            } catch {
                guard Date() < deadline, driver.isRunning else { throw Unavailable(description: "chromedriver did not start at \(base): \(error)") }
                usleep(50_000)
            }
        }
        // --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start.
        let options: [String: Any] = ["binary": chromium, "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                                                    "--window-size=\(width),\(height)", "--hide-scrollbars", "--force-device-scale-factor=1"]]
        let answer = try request("POST", "/session", ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options]]])
        guard let id = (answer as? [String: Any])?["sessionId"] as? String else { throw CommandError(description: "no session in \(answer)") }
        return id
    }

    /// Ends the browser session and stops chromedriver.
    func quit() {
        if !session.isEmpty { _ = try? command("DELETE", "") }
        if driver.isRunning { driver.terminate() }
        driver.waitUntilExit()
    }

    /// Opens `url` and waits for the document to load.
    func open(_ url: String) throws { _ = try command("POST", "/url", ["url": url]) }

    /// Runs `script` (a function body; `arguments[i]` are `arguments`) and returns its value.
    @discardableResult
    func execute(_ script: String, _ arguments: [Any] = []) throws -> Any {
        try command("POST", "/execute/sync", ["script": script, "args": arguments])
    }

    /// Polls `script` until it returns something truthy, for up to `seconds`; returns that value.
    /// The default is generous because the suite shares two cores with other builds: a view that
    /// takes 60 ms alone has taken over 10 s under a load average of 20.
    @discardableResult
    func wait(for script: String, seconds: Double = 45, _ what: String) throws -> Any {
        let deadline = Date().addingTimeInterval(seconds)
        var last: Any = NSNull()
        while Date() < deadline {
            last = try execute(script)
            if let flag = last as? Bool { if flag { return flag } } else if !(last is NSNull), (last as? String) != "" { return last }
            usleep(25_000)
        }
        throw CommandError(description: "timed out after \(seconds) s waiting for \(what) (last value: \(last))")
    }

    /// The first element matching `css`.
    func element(_ css: String) throws -> String {
        let answer = try command("POST", "/element", ["using": "css selector", "value": css])
        guard let id = (answer as? [String: Any])?[WebDriver.elementKey] as? String else { throw CommandError(description: "no element id for \(css)") }
        return id
    }

    /// Clicks `element` as a user would (scrolled into view, at its centre).
    func click(_ element: String) throws { _ = try command("POST", "/element/\(element)/click", [:]) }

    /// Types `text` into `element` (WebDriver key codes such as `WebDriver.enter` included).
    func type(_ text: String, into element: String) throws { _ = try command("POST", "/element/\(element)/value", ["text": text]) }

    /// The Enter and Arrow-Down keys, for `type`.
    static let enter = "\u{E007}", arrowDown = "\u{E015}"

    /// A PNG of the whole window, or of one element.
    func screenshot(of element: String? = nil) throws -> Data {
        let answer = try command("GET", element.map { "/element/\($0)/screenshot" } ?? "/screenshot")
        guard let text = answer as? String, let data = Data(base64Encoded: text) else { throw CommandError(description: "no screenshot") }
        return data
    }

    /// Makes the window as tall as the page, so that a screenshot shows all of it (WebDriver's
    /// screenshots show the viewport only), and returns a function that puts the height back.
    func fitWindowToPage() throws -> () -> Void {
        let script = "return [window.outerWidth, window.outerHeight, Math.ceil(document.documentElement.scrollHeight + window.outerHeight - window.innerHeight)];"
        guard let sizes = try execute(script) as? [Int], sizes.count == 3 else { throw CommandError(description: "no window size") }
        _ = try command("POST", "/window/rect", ["width": sizes[0], "height": sizes[2]])
        return { [self] in _ = try? command("POST", "/window/rect", ["width": sizes[0], "height": sizes[1]]) }
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> Any {
        try request(method, "/session/\(session)\(path)", body)
    }

    /// One WebDriver request; its `value`, or a `CommandError` with the endpoint's message.
    /// Sent with curl (as ServeTests talks to the server): Foundation's URLSession on Linux
    /// fails these requests with "Failed writing header".
    private func request(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> Any {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-g", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-H", "Content-Type: application/json"]
            + (body == nil ? [] : ["--data-binary", "@-"]) + [base + path]
        let input = Pipe(), output = Pipe()
        curl.standardInput = input
        curl.standardOutput = output
        try curl.run()
        if let body { input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: body)) }
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\n", options: .backwards), let status = Int(text[split.upperBound...]), status > 0 else {
            throw CommandError(description: "\(method) \(path): no answer (curl exit \(curl.terminationStatus))")
        }
        let object = try JSONSerialization.jsonObject(with: Data(text[..<split.lowerBound].utf8), options: [.fragmentsAllowed]) as? [String: Any]
        let value = object?["value"] ?? NSNull()
        guard status == 200 else {
            let detail = (value as? [String: Any]).map { "\($0["error"] ?? ""): \($0["message"] ?? "")" } ?? "\(value)"
            throw CommandError(description: "\(method) \(path) → \(status) \(detail)")
        }
        return value
    }

    /// The path of `name` on PATH (or in /usr/bin), if it is an executable.
    private static func executable(_ name: String) -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin"]
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A loopback port nobody listens on now (bound and released; the gap before chromedriver
    /// binds it is a race no test run has lost, and a loss fails loudly).
    private static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Unavailable(description: "no socket for a free port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw Unavailable(description: "cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
