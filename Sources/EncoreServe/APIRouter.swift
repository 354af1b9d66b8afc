import Encore
import Foundation

/// Maps each request to its handler, validates every input, and turns failures into JSON errors:
/// 404 for unknown IDs and routes, 400 for malformed values, 405 for a wrong method, 401 for a
/// missing or wrong admin token. Handlers work on one model snapshot from start to finish.
public final class APIRouter: @unchecked Sendable {
    /// The model being served.
    public let models: ModelHolder
    /// Request and latency metrics.
    public let metrics: ServerMetrics
    /// Bearer token for `POST /v1/admin/reload`; nil disables the route.
    public let adminToken: String?
    /// Largest `count` / `length` a request may ask for.
    public static let maximumCount = 1000
    /// Scores concurrent user-recommendation requests together, and similar-item requests.
    let coalescer: CoalescingRecommender
    /// User-recommendation requests being answered now, and the lock that guards the count.
    private var usersInFlight = 0
    private let inFlightLock = NSLock()
    /// Up to this many concurrent user-recommendation requests go to the index (when there is
    /// one); more are batched by the coalescer, whose exact pass over the items serves many
    /// users at once faster than the index serves them one by one (docs/catalogue.md).
    let indexConcurrency: Int

    /// A router over `models`, scoring user recommendations and similar items on `scoringThreads` threads.
    package init(models: ModelHolder, metrics: ServerMetrics = ServerMetrics(), adminToken: String? = nil, scoringThreads: Int = Parallel.defaultThreadCount) {
        self.models = models
        self.metrics = metrics
        self.adminToken = adminToken
        coalescer = CoalescingRecommender(workers: scoringThreads)
        indexConcurrency = max(1, scoringThreads)
    }

    /// Counts a user-recommendation request in for its duration; true when few enough are in
    /// flight for the index to answer it.
    private func enterUserRequest() -> Bool {
        inFlightLock.lock()
        defer { inFlightLock.unlock() }
        usersInFlight += 1
        return usersInFlight <= indexConcurrency
    }

    private func leaveUserRequest() {
        inFlightLock.lock()
        usersInFlight -= 1
        inFlightLock.unlock()
    }

    /// Answers one request and records it in the metrics.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        let (route, response) = dispatch(request)
        metrics.record(route: route, status: response.status, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        return response
    }

    /// A request that failed validation.
    struct Failure: Error {
        let status: Int
        let message: String
    }

    private func dispatch(_ request: HTTPRequest) -> (String, HTTPResponse) {
        // The HTTP library leaves an escape it cannot decode as it was: a '%' still followed by
        // anything but two hex digits is a malformed URL, not an ID to look up.
        if let bad = ([request.path] + request.arguments.flatMap { [$0.name, $0.value] }).first(where: APIRouter.hasMalformedEscape) {
            return ("malformed", .error(400, "malformed percent-escape in '\(bad)'"))
        }
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let served = models.snapshot()
        func run(_ route: String, _ method: String, _ body: () throws -> HTTPResponse) -> (String, HTTPResponse) {
            guard request.method == method else { return (route, .error(405, "\(route) takes \(method), not \(request.method)")) }
            do {
                return (route, try body())
            } catch let failure as Failure {
                return (route, .error(failure.status, failure.message))
            } catch let error as EncoreError {
                switch error {
                case .unknownUser, .unknownItem, .itemNotFound: return (route, .error(404, error.description))
                default: return (route, .error(400, error.description))
                }
            } catch {
                return (route, .error(500, "internal error: \(error)"))
            }
        }
        switch segments.count {
        case 1 where segments[0] == "healthz":
            return run("/healthz", "GET") {
                var body = JSONLine()
                body.add("status", "ok")
                body.add("model_version", served.version)
                body.add("users", served.model.userCount)
                body.add("items", served.model.itemCount)
                return .json(200, body)
            }
        case 1 where segments[0] == "metrics":
            return run("/metrics", "GET") { HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4", body: metrics.render(model: served, reloads: models.reloadCounts())) }
        case 4 where segments[0] == "v1" && segments[1] == "users" && segments[3] == "recommendations":
            return run("/v1/users/{id}/recommendations", "GET") { try recommendations(request, user: segments[2], served.model, index: served.index) }
        case 4 where segments[0] == "v1" && segments[1] == "items" && segments[3] == "similar":
            return run("/v1/items/{id}/similar", "GET") { try similar(request, item: segments[2], served.model, index: served.index) }
        case 4 where segments[0] == "v1" && segments[1] == "users" && segments[3] == "explain":
            return run("/v1/users/{id}/explain", "GET") { try explain(request, user: segments[2], served.model) }
        case 2 where segments[0] == "v1" && segments[1] == "radio":
            return run("/v1/radio", "GET") { try radio(request, served.model, index: served.index) }
        case 2 where segments[0] == "v1" && segments[1] == "recommendations":
            return run("/v1/recommendations", "POST") { try foldIn(request, served.model) }
        case 3 where segments[0] == "v1" && segments[1] == "admin" && segments[2] == "reload":
            return run("/v1/admin/reload", "POST") { try reload(request) }
        default:
            // The web page and its routes (WebRoutes.swift).
            if let answer = webRoute(request, segments, served, run) { return answer }
            return ("unknown", .error(404, "no such route: \(request.method) \(request.path)"))
        }
    }

    /// True when `text` holds a '%' that is not followed by two hex digits.
    static func hasMalformedEscape(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func isHex(_ byte: UInt8) -> Bool { Character(Unicode.Scalar(byte)).isHexDigit }
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "%") {
            guard index + 2 < bytes.count, isHex(bytes[index + 1]), isHex(bytes[index + 2]) else { return true }
        }
        return false
    }

    /// Every value of an ID argument; an empty one is a malformed request, not an unknown ID.
    func identifiers(_ request: HTTPRequest, _ name: String) throws -> [String] {
        let values = request.values(name)
        if values.contains("") { throw Failure(status: 400, message: "\(name) must not be empty") }
        return values
    }

    /// A whole-number argument within 1…maximum, or the default.
    func number(_ request: HTTPRequest, _ name: String, default fallback: Int) throws -> Int {
        guard let text = request.value(name) else { return fallback }
        guard let value = Int(text), (1...APIRouter.maximumCount).contains(value) else {
            throw Failure(status: 400, message: "\(name) must be a whole number from 1 to \(APIRouter.maximumCount) (got '\(text)')")
        }
        return value
    }

    /// `min_listeners`: similar artists and radio leave out artists with fewer listeners
    /// (default `SimilarItems.defaultMinimumListeners`; 0 keeps all).
    func minimumListeners(_ request: HTTPRequest) throws -> Int {
        guard let text = request.value("min_listeners") else { return SimilarItems.defaultMinimumListeners }
        guard let value = Int(text), value >= 0 else {
            throw Failure(status: 400, message: "min_listeners must be a whole number ≥ 0 (got '\(text)')")
        }
        return value
    }

    /// Why an answer built from `item` says little (`TrainedModel.fewListeners`).
    func fewListenersWarning(_ item: Int, minimum: Int, _ model: TrainedModel) -> String? {
        model.fewListeners(item, minimum: minimum, label: model.itemIDs.id(at: item))?.text
    }

    func flag(_ request: HTTPRequest, _ name: String) throws -> Bool {
        switch request.value(name) {
        case nil, "false", "0": return false
        case "true", "1", "": return true
        case let other?: throw Failure(status: 400, message: "\(name) must be true or false (got '\(other)')")
        }
    }

    func items(_ list: [ScoredItem], _ model: TrainedModel) -> [JSONLine] {
        list.map { entry in
            var line = JSONLine()
            line.add("item", model.itemIDs.id(at: entry.index))
            line.add("score", entry.score)
            if let name = model.name(ofItem: entry.index) { line.add("name", name) }
            return line
        }
    }

    func recommendations(_ request: HTTPRequest, user id: String, _ model: TrainedModel, index: ApproximateIndex?) throws -> HTTPResponse {
        let count = try number(request, "count", default: 10)
        let includeSeen = try flag(request, "include_seen")
        let user = try model.userIndex(id)
        let tags = try tagIndices(request, model)
        let route = "/v1/users/{id}/recommendations"
        let quiet = enterUserRequest()
        defer { leaveUserRequest() }
        let fromIndex = tags.isEmpty && quiet ? index?.recommend(model, user: user, count: count, seen: includeSeen ? nil : model.interactions) : nil
        metrics.recordPath(route: route, fromIndex: fromIndex != nil)
        let list = try fromIndex ?? (tags.isEmpty ? coalescer.recommend(model: model, user: user, count: count, excludeSeen: !includeSeen)
            : try tagged(user: user, count: count, includeSeen: includeSeen, tags: tags, model))
        var body = JSONLine()
        body.add("user", id)
        body.add("recommendations", objects: items(list, model))
        return .json(200, body)
    }

    func similar(_ request: HTTPRequest, item query: String, _ model: TrainedModel, index: ApproximateIndex?) throws -> HTTPResponse {
        let count = try number(request, "count", default: 10)
        let minimum = try minimumListeners(request)
        let item = try ItemLookup.find(query, in: model)
        var body = JSONLine()
        body.add("item", model.itemIDs.id(at: item))
        if let name = model.name(ofItem: item) { body.add("name", name) }
        body.add("min_listeners", minimum)
        if let warning = fewListenersWarning(item, minimum: minimum, model) { body.add("warning", warning) }
        let fromIndex = index?.similar(model, to: item, count: count, minimumListeners: minimum)
        metrics.recordPath(route: "/v1/items/{id}/similar", fromIndex: fromIndex != nil)
        body.add("similar", objects: items(fromIndex ?? coalescer.similar(model: model, item: item, count: count, minimumListeners: minimum), model))
        return .json(200, body)
    }

    func explain(_ request: HTTPRequest, user id: String, _ model: TrainedModel) throws -> HTTPResponse {
        guard let query = try identifiers(request, "item").last else { throw Failure(status: 400, message: "item is required") }
        let user = try model.userIndex(id)
        let item = try ItemLookup.find(query, in: model)
        let explanation = try ScoreExplanation(user: user, item: item, in: model)
        var body = JSONLine()
        body.add("user", id)
        body.add("item", model.itemIDs.id(at: item))
        body.add("score", explanation.score)
        body.add("model_score", explanation.modelScore)
        if model.itemTags != nil { body.add("because", TagWords.because(item, explanation: explanation, in: model)) }
        let shared = TagWords.sharedTags(of: item, with: explanation, in: model)
        body.add("contributions", objects: zip(explanation.contributions, shared).map { entry, tags in
            var line = JSONLine()
            line.add("item", model.itemIDs.id(at: entry.item))
            line.add("contribution", entry.contribution)
            if let name = model.name(ofItem: entry.item) { line.add("name", name) }
            if model.itemTags != nil { line.add("tags", strings: tags) }
            return line
        })
        return .json(200, body)
    }

    func radio(_ request: HTTPRequest, _ model: TrainedModel, index: ApproximateIndex?) throws -> HTTPResponse {
        let seeds = try identifiers(request, "seed").map { try ItemLookup.find($0, in: model) }
        let tags = try tagIndices(request, model)
        guard seeds.isEmpty != tags.isEmpty else { throw Failure(status: 400, message: "give at least one seed or at least one tag, not both") }
        var options = RadioOptions()
        options.length = try number(request, "length", default: 50)
        if let random = request.value("seed_random") {
            guard let value = UInt64(random) else { throw Failure(status: 400, message: "seed_random must be a whole number (got '\(random)')") }
            options.randomSeed = value
        }
        options.minimumListeners = try minimumListeners(request)
        let user = try identifiers(request, "user").last.map { try model.userIndex($0) }
        // An artist station finds its neighbourhood in the index when there is one (a tag
        // station ranks by more than nearness and is answered exactly).
        metrics.recordPath(route: "/v1/radio", fromIndex: tags.isEmpty && index != nil)
        let picks = tags.isEmpty ? try ArtistRadio.station(seeds: seeds, user: user, options: options, in: model, index: index)
            : try TagRadio.station(tags: tags, user: user, options: options, in: model)
        var body = JSONLine()
        body.add("min_listeners", options.minimumListeners)
        let warnings = seeds.compactMap { fewListenersWarning($0, minimum: options.minimumListeners, model) }
        if !warnings.isEmpty { body.addRaw("warnings", "[" + warnings.map(JSONLine.quote).joined(separator: ",") + "]") }
        body.add("station", objects: picks.map { $0.json(in: model) })
        return .json(200, body)
    }

    func foldIn(_ request: HTTPRequest, _ model: TrainedModel) throws -> HTTPResponse {
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
            throw Failure(status: 400, message: "the body must be a JSON object like {\"plays\": {\"item\": count}, \"count\": 10}")
        }
        guard let plays = object["plays"] as? [String: Any], !plays.isEmpty else {
            throw Failure(status: 400, message: "plays must be a non-empty object of item → play count")
        }
        var history: [Int: Float] = [:]
        for (id, value) in plays {
            guard let number = APIRouter.jsonNumber(value), number.doubleValue.isFinite, number.doubleValue >= 0, number.doubleValue <= Double(Float.greatestFiniteMagnitude) else {
                throw Failure(status: 400, message: "the play count of '\(id)' must be a finite number ≥ 0")
            }
            history[try ItemLookup.find(id, in: model), default: 0] += number.floatValue
        }
        var count = 10
        if let requested = object["count"] {
            guard let number = APIRouter.jsonNumber(requested).flatMap({ Int(exactly: $0.doubleValue) }), (1...APIRouter.maximumCount).contains(number) else {
                throw Failure(status: 400, message: "count must be a whole number from 1 to \(APIRouter.maximumCount)")
            }
            count = number
        }
        var body = JSONLine()
        body.add("recommendations", objects: items(try FoldIn.recommend(plays: history, count: count, in: model, ordered: model.normOrderedItems), model))
        return .json(200, body)
    }

    /// A JSON number, or nil for anything else — including true and false, which Foundation also
    /// decodes as NSNumber (and for which, on Linux, even the numbers 0 and 1 answer `is Bool`);
    /// booleans are the ones whose Objective-C type is "c".
    static func jsonNumber(_ value: Any) -> NSNumber? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        return number
    }

    func reload(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let adminToken else { throw Failure(status: 404, message: "reloading over HTTP is off: start the server with --admin-token") }
        guard request.authorization == "Bearer \(adminToken)" else { throw Failure(status: 401, message: "a valid 'Authorization: Bearer TOKEN' header is required") }
        do {
            let loaded = try models.reload()
            var body = JSONLine()
            body.add("status", "reloaded")
            body.add("model_version", loaded.version)
            return .json(200, body)
        } catch {
            throw Failure(status: 409, message: "the new model file was refused and the old model keeps serving: \(error)")
        }
    }
}
