import Encore
import Foundation

/// The web page at `/` and the JSON routes it needs beyond the API's own: search as you type,
/// listener counts, the catalogue map, the model's facts and a user's top plays. They validate
/// and fail as every other route does (`APIRouter.Failure`, `EncoreError`), through the same `run`.
extension APIRouter {
    /// How `dispatch` runs one route: its name for the metrics, its method, and its handler.
    typealias RouteRunner = (String, String, () throws -> HTTPResponse) -> (String, HTTPResponse)

    /// The answer for a path this file serves, or nil for any other.
    func webRoute(_ request: HTTPRequest, _ segments: [String], _ served: ServedModel, _ run: RouteRunner) -> (String, HTTPResponse)? {
        let model = served.model
        switch segments.count {
        case 0:
            return run("/", "GET") { HTTPResponse(status: 200, contentType: "text/html; charset=utf-8", body: WebPage.html) }
        case 2 where segments[0] == "v1" && segments[1] == "search":
            return run("/v1/search", "GET") { try search(request, model) }
        case 2 where segments[0] == "v1" && segments[1] == "items":
            return run("/v1/items", "GET") { try itemFacts(request, model) }
        case 2 where segments[0] == "v1" && segments[1] == "map":
            return run("/v1/map", "GET") { try map(request, model) }
        case 2 where segments[0] == "v1" && segments[1] == "model":
            return run("/v1/model", "GET") { try modelFacts(served) }
        case 4 where segments[0] == "v1" && segments[1] == "users" && segments[3] == "plays":
            return run("/v1/users/{id}/plays", "GET") { try plays(request, user: segments[2], model) }
        case 4 where segments[0] == "v1" && segments[1] == "items" && segments[3] == "listeners":
            return run("/v1/items/{id}/listeners", "GET") { try listeners(request, item: segments[2], model) }
        default:
            return nil
        }
    }

    /// `{"item", "name", "listeners"}` for `item`, the shape every web route lists artists in.
    func artist(_ item: Int, _ model: TrainedModel) -> JSONLine {
        var line = JSONLine()
        line.add("item", model.itemIDs.id(at: item))
        if let name = model.name(ofItem: item) { line.add("name", name) }
        line.add("listeners", model.listenerCounts[item])
        return line
    }

    func search(_ request: HTTPRequest, _ model: TrainedModel) throws -> HTTPResponse {
        guard let query = request.value("q") else { throw Failure(status: 400, message: "q is required") }
        guard !CatalogueSearch.fold(query).isEmpty else { throw Failure(status: 400, message: "q must not be empty") }
        let count = try number(request, "count", default: 10)
        let results = WebCache.shared.search(for: model).search(query, count: count)
        var body = JSONLine()
        body.add("query", query)
        body.add("results", objects: results.map { result in
            var line = artist(result.item, model)
            line.add("match", result.match.rawValue)
            return line
        })
        return .json(200, body)
    }

    func itemFacts(_ request: HTTPRequest, _ model: TrainedModel) throws -> HTTPResponse {
        let queries = try identifiers(request, "item")
        guard !queries.isEmpty else { throw Failure(status: 400, message: "give at least one item") }
        guard queries.count <= APIRouter.maximumCount else { throw Failure(status: 400, message: "at most \(APIRouter.maximumCount) items per request (got \(queries.count))") }
        var body = JSONLine()
        body.add("items", objects: try queries.map { artist(try ItemLookup.find($0, in: model), model) })
        return .json(200, body)
    }

    func map(_ request: HTTPRequest, _ model: TrainedModel) throws -> HTTPResponse {
        let count = try number(request, "count", default: 300)
        let extra = try identifiers(request, "item").map { try ItemLookup.find($0, in: model) }
        guard extra.count <= APIRouter.maximumCount else { throw Failure(status: 400, message: "at most \(APIRouter.maximumCount) items per request (got \(extra.count))") }
        let map = try WebCache.shared.map(for: model, count: count)
        var body = JSONLine()
        body.add("projection", "PCA of the unit-length item vectors of the \(map.basisItems.count) artists with the most listeners")
        body.addRaw("explained_variance", "[\(map.explainedVariance.first),\(map.explainedVariance.second)]")
        func point(_ item: Int, basis: Bool) -> JSONLine {
            var line = artist(item, model)
            let (x, y) = map.position(of: item, in: model)
            line.add("x", x)
            line.add("y", y)
            line.add("basis", basis)
            return line
        }
        let basis = Set(map.basisItems)
        var added = Set<Int>()
        let others = extra.filter { !basis.contains($0) && added.insert($0).inserted }
        body.add("points", objects: map.basisItems.map { point($0, basis: true) } + others.map { point($0, basis: false) })
        return .json(200, body)
    }

    func plays(_ request: HTTPRequest, user id: String, _ model: TrainedModel) throws -> HTTPResponse {
        let count = try number(request, "count", default: 20)
        let user = try model.userIndex(id)
        let range = model.interactions.range(ofRow: user)
        let played = range.filter { model.interactions.values[$0] > 0 }
            .sorted { (model.interactions.values[$0], -$0) > (model.interactions.values[$1], -$1) }
        var body = JSONLine()
        body.add("user", id)
        body.add("artists", played.count)
        body.add("plays", objects: played.prefix(count).map { position in
            var line = artist(Int(model.interactions.indices[position]), model)
            line.add("plays", model.interactions.values[position])
            return line
        })
        return .json(200, body)
    }

    /// The users who played `item` most: a scan of every user's sorted row, which costs less
    /// than keeping the items × users transpose in memory for a route the page calls once per artist.
    func listeners(_ request: HTTPRequest, item query: String, _ model: TrainedModel) throws -> HTTPResponse {
        let count = try number(request, "count", default: 10)
        let item = try ItemLookup.find(query, in: model)
        var found = model.interactions.entries(inColumn: item).filter { $0.value > 0 }.map { (user: $0.row, plays: $0.value) }
        found.sort { ($0.plays, -$0.user) > ($1.plays, -$1.user) }
        var body = artist(item, model)
        body.add("top_listeners", objects: found.prefix(count).map { entry in
            var line = JSONLine()
            line.add("user", model.userIDs.id(at: entry.user))
            line.add("plays", entry.plays)
            return line
        })
        return .json(200, body)
    }

    func modelFacts(_ served: ServedModel) throws -> HTTPResponse {
        let model = served.model
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        var body = JSONLine()
        body.add("model_version", served.version)
        body.add("file", (models.path as NSString).lastPathComponent)
        body.add("checksum", String(format: "%016llx", served.checksum))
        body.add("loaded_at", ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: served.loadedAt)))
        body.add("users", model.userCount)
        body.add("items", model.itemCount)
        body.add("factors", model.factors.factors)
        body.add("interactions", model.interactions.nonZeroCount)
        body.addRaw("configuration", String(decoding: try encoder.encode(model.configuration), as: UTF8.self))
        var training = JSONLine()
        // An empty creation time (a file written without one) is reported as unknown, not invented.
        training.add("created_at", model.summary.createdAt.isEmpty ? nil : model.summary.createdAt)
        training.add("source", model.summary.source.isEmpty ? nil : model.summary.source)
        training.add("train_seconds", model.summary.trainSeconds)
        training.add("iterations_run", model.summary.lossHistory.count)
        if let loss = model.summary.lossHistory.last { training.add("final_loss", loss) }
        body.addRaw("training", training.text)
        return .json(200, body)
    }
}

/// What the web routes derive from a model once rather than per request: the folded names for
/// search and the map's axes. An entry knows its model by a weak reference: it can never be
/// taken for a model that a reload swapped in (the old one is gone, or is another object), and
/// it does not keep a replaced model's factors and play matrix in memory.
final class WebCache: @unchecked Sendable {
    static let shared = WebCache()
    private let lock = NSLock()
    private weak var searchModel: TrainedModel?
    private var searchIndex: CatalogueSearch?
    private weak var mapModel: TrainedModel?
    private var maps: [Int: CatalogueMap] = [:]

    /// The search index of `model`.
    func search(for model: TrainedModel) -> CatalogueSearch {
        lock.lock()
        defer { lock.unlock() }
        if searchModel === model, let searchIndex { return searchIndex }
        let search = CatalogueSearch(model: model)
        (searchModel, searchIndex) = (model, search)
        return search
    }

    /// The map of `model`'s `count` most-listened items.
    func map(for model: TrainedModel, count: Int) throws -> CatalogueMap {
        lock.lock()
        defer { lock.unlock() }
        if mapModel !== model { (mapModel, maps) = (model, [:]) }
        if let map = maps[count] { return map }
        let map = try CatalogueMap(model: model, count: count)
        // A few sizes at most are asked for in practice; the bound keeps a client from filling memory.
        if maps.count >= 8 { maps.removeAll() }
        maps[count] = map
        return map
    }
}
