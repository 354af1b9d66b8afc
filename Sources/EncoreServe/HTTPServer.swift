import CMicroHTTPD
import Dispatch
import Foundation

/// Limits and threading of the HTTP server.
public struct HTTPServerOptions: Sendable {
    /// Address to bind; loopback unless the operator says otherwise.
    public var host = "127.0.0.1"
    /// Port; 0 picks a free one.
    public var port = 8080
    /// Concurrent connections before new ones are refused (bounds memory).
    public var connectionLimit = 1024
    /// Seconds a connection may stay idle (bounds slow clients).
    public var connectionTimeout = 10
    /// Largest request body, in bytes; larger ones get 413.
    public var bodyLimit = 1 << 20

    /// The defaults: 127.0.0.1:8080, 1024 connections, 10 s timeout, 1 MiB bodies.
    public init() {}
}

import Encore

/// The HTTP/1.1 server: libmicrohttpd with one thread per connection (bounded by the connection
/// limit) calls the router once per complete request. A thread per connection, not a pool,
/// because a request waits in its thread while its user is scored together with others (see
/// `CoalescingRecommender`): in a pool that wait stalled the other connections of the thread and
/// multiplied tail latency (measured: p99 221 ms against 27 ms at 64 connections).
public final class HTTPServer: @unchecked Sendable {
    /// Answers the requests.
    public let router: APIRouter
    private var daemon: UnsafeMutableRawPointer?
    private let inFlightLock = NSLock()
    private var inFlight = 0
    /// The port actually bound.
    public private(set) var port = 0

    /// A server for `router`; call `start`.
    public init(router: APIRouter) { self.router = router }

    /// Starts listening.
    public func start(_ options: HTTPServerOptions) throws {
        guard (0...65535).contains(options.port) else { throw EncoreError.invalidArgument("--port must be from 0 to 65535") }
        var error: UnsafePointer<CChar>?
        let context = Unmanaged.passUnretained(self).toOpaque()
        let started = options.host.withCString { host -> UnsafeMutableRawPointer? in
            var settings = encore_http_options(host: host, port: UInt16(options.port), connectionLimit: UInt32(options.connectionLimit), connectionTimeout: UInt32(options.connectionTimeout),
                                               bodyLimit: options.bodyLimit)
            return encore_http_start(&settings, { context, request, response in
                let server = Unmanaged<HTTPServer>.fromOpaque(context!).takeUnretainedValue()
                server.answer(request!.pointee, into: response!)
            }, context, &error)
        }
        guard let started else {
            throw EncoreError.io(path: "\(options.host):\(options.port)", reason: error.map { String(cString: $0) } ?? "cannot start the HTTP server")
        }
        daemon = started
        port = Int(encore_http_port(started))
    }

    /// Stops accepting connections, lets requests already being answered finish (up to
    /// `grace` seconds), then closes everything.
    public func stop(grace: Double = 10) {
        guard let daemon else { return }
        encore_http_quiesce(daemon)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(grace * 1e9)
        while activeRequests > 0 && DispatchTime.now().uptimeNanoseconds < deadline { usleep(10_000) }
        encore_http_stop(daemon)
        self.daemon = nil
    }

    /// Requests being answered right now.
    public var activeRequests: Int {
        inFlightLock.lock()
        defer { inFlightLock.unlock() }
        return inFlight
    }

    private func answer(_ raw: encore_http_request, into response: UnsafeMutablePointer<encore_http_response>) {
        inFlightLock.lock()
        inFlight += 1
        inFlightLock.unlock()
        defer {
            inFlightLock.lock()
            inFlight -= 1
            inFlightLock.unlock()
        }
        var arguments: [(name: String, value: String)] = []
        for index in 0..<Int(raw.argumentCount) {
            arguments.append((String(cString: raw.keys[index]!), String(cString: raw.values[index]!)))
        }
        let request = HTTPRequest(
            method: String(cString: raw.method), path: String(cString: raw.path), arguments: arguments,
            authorization: raw.authorization.map { String(cString: $0) },
            body: raw.bodyLength > 0 ? Array(UnsafeBufferPointer(start: UnsafeRawPointer(raw.body!).assumingMemoryBound(to: UInt8.self), count: raw.bodyLength)) : []
        )
        let result = router.handle(request)
        let bytes = Array(result.body.utf8)
        let buffer = malloc(max(1, bytes.count))!.assumingMemoryBound(to: CChar.self)
        if !bytes.isEmpty { bytes.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) } }
        response.pointee.status = UInt32(result.status)
        response.pointee.body = buffer
        response.pointee.length = bytes.count
        response.pointee.contentType = result.contentType.hasPrefix("text/plain") ? HTTPServer.textType
            : result.contentType.hasPrefix("text/html") ? HTTPServer.htmlType : HTTPServer.jsonType
    }

    // The C layer keeps the pointer past this call, so the few content types are made once.
    private static let jsonType = UnsafePointer(strdup("application/json")!)
    private static let textType = UnsafePointer(strdup("text/plain; version=0.0.4")!)
    private static let htmlType = UnsafePointer(strdup("text/html; charset=utf-8")!)
}
