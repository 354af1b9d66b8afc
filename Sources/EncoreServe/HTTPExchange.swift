/// One request as the router sees it: method, decoded path, query arguments in order, the
/// Authorization header and the body.
public struct HTTPRequest: Sendable {
    /// GET, POST, …
    public var method: String
    /// The path, without the query.
    public var path: String
    /// Query arguments in order; a name may repeat (`seed=a&seed=b`).
    public var arguments: [(name: String, value: String)]
    /// The Authorization header, if any.
    public var authorization: String?
    /// The request body.
    public var body: [UInt8]

    /// A request with the given parts.
    public init(method: String, path: String, arguments: [(name: String, value: String)] = [], authorization: String? = nil, body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.arguments = arguments
        self.authorization = authorization
        self.body = body
    }

    /// Every value of argument `name`.
    public func values(_ name: String) -> [String] { arguments.filter { $0.name == name }.map(\.value) }

    /// The value of argument `name`, if given once or more (the last wins).
    public func value(_ name: String) -> String? { values(name).last }
}

/// One answer: status, content type and body.
public struct HTTPResponse: Sendable {
    /// HTTP status code.
    public var status: Int
    /// Content-Type header.
    public var contentType: String
    /// The body.
    public var body: String

    /// A JSON answer.
    package static func json(_ status: Int, _ object: JSONLineBody) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: object.text + "\n")
    }

    /// A JSON error: `{"error": message, "status": status}`.
    public static func error(_ status: Int, _ message: String) -> HTTPResponse {
        var body = JSONLineBody()
        body.add("error", message)
        body.add("status", status)
        return json(status, body)
    }
}

import Encore

/// The JSON object type responses are built from.
package typealias JSONLineBody = JSONLine
