import Encore
import EncoreCLI
import EncoreServe
import Foundation

/// `encore serve`: the HTTP JSON API.
enum ServeCommand: Command {
    static let name = "serve"
    static let summary = "serve a model over HTTP/1.1 as a JSON API (reload on SIGHUP)"
    static let usage = """
    Usage: encore serve MODEL [--host 127.0.0.1] [--port 8080] [--threads N] [--admin-token TOKEN]
                        [--connection-limit 1024] [--timeout 10] [--body-limit 1048576] [--exact | --approximate]

    --threads is the number of scoring threads (default: every core): concurrent requests for user
    recommendations are scored together in one pass over the item vectors. Each connection has
    its own thread, up to --connection-limit connections; idle ones close after --timeout seconds.

    Routes (JSON answers with original IDs, and names where the data set has them):
      GET  /v1/users/{id}/recommendations?count=10&include_seen=false
      GET  /v1/items/{id}/similar?count=10&min_listeners=5 (an ID or a name)
      GET  /v1/radio?seed={id}&seed=…&user={id}&length=50&seed_random=0&min_listeners=5
      POST /v1/recommendations  {"plays": {"item": count, …}, "count": 10}   (fold-in)
      GET  /v1/users/{id}/explain?item={id}
      GET  /healthz, GET /metrics (Prometheus text)
      POST /v1/admin/reload     with --admin-token, as "Authorization: Bearer TOKEN"
      GET  /                    a web page to explore the model (docs/web.md), over these routes and
      GET  /v1/search?q=…, /v1/items?item=…, /v1/items/{id}/listeners, /v1/users/{id}/plays,
           /v1/map?count=300, /v1/model
    Similar artists and radio leave out artists with fewer than min_listeners listeners; their
    answers say the minimum ("min_listeners") and warn about a query or seed below it ("warning",
    "warnings"). Unknown IDs get 404, malformed values 400, bodies over --body-limit 413. SIGHUP reloads the
    model file (a bad file is refused and the old model keeps serving); SIGINT or SIGTERM stop
    accepting, finish the requests in flight and exit 0. Binds to loopback unless --host says
    otherwise.
    Recommendations, similar artists and artist radio come from MODEL.index (encore index) when
    it is there and pays on this catalogue; a user's recommendations only while no more such
    requests are in flight than --threads (beyond that the coalescer's exact batches are faster).
    /metrics counts the answers of each path (encore_answers_total{path="index"|"exact"}). An
    index that cannot be used is skipped with a note; a reload loads the index beside the new
    model again.
    \(IndexOptions.help)
    """

    static func run(_ arguments: CommandLineArguments) throws {
        var options = HTTPServerOptions()
        options.host = try arguments.value("--host") ?? options.host
        options.port = try arguments.int("--port", default: options.port, in: 0...65535)
        let threads = try arguments.int("--threads", default: Parallel.defaultThreadCount, in: 1...1024)
        options.connectionLimit = try arguments.int("--connection-limit", default: options.connectionLimit, in: 1...1_000_000)
        options.connectionTimeout = try arguments.int("--timeout", default: options.connectionTimeout, in: 1...86_400)
        options.bodyLimit = try arguments.int("--body-limit", default: options.bodyLimit, in: 1...(1 << 30))
        let token = try arguments.value("--admin-token")
        if let token, token.isEmpty { throw UsageError("--admin-token must not be empty") }
        let indexOptions = try IndexOptions(arguments)
        let path = try arguments.positionals(["MODEL"])[0]

        // A reload frees the old model's multi-megabyte matrices; with glibc's mmap threshold
        // left to rise to their size, the next models came from heap arenas that fragments
        // piled up in (docs/reliability.md).
        GlibcMalloc.fixMmapThreshold()
        let models = try ModelHolder(path: path, indexUse: indexOptions.exact ? .exact : indexOptions.approximate ? .approximate : .automatic)
        if let note = models.snapshot().indexNote { Console.err("note: \(note)") }
        let server = HTTPServer(router: APIRouter(models: models, adminToken: token, scoringThreads: threads))
        // Signals are handled on a queue, not in a signal handler, so reloading may allocate.
        let signals = DispatchQueue(label: "encore.signals")
        let stopped = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for (number, action) in [(SIGHUP, "reload"), (SIGINT, "stop"), (SIGTERM, "stop")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: signals)
            source.setEventHandler {
                if action == "reload" {
                    do {
                        let loaded = try models.reload()
                        Console.err("reloaded \(path): model version \(loaded.version) in \(Console.seconds(loaded.loadSeconds))\(loaded.index == nil ? "" : ", with its index")")
                        if let note = loaded.indexNote { Console.err("note: \(note)") }
                    } catch {
                        Console.err("reload refused, the old model keeps serving: \(error)")
                    }
                } else {
                    stopped.signal()
                }
            }
            source.resume()
            sources.append(source)
        }
        try server.start(options)
        let served = models.snapshot(), model = served.model
        let answering = served.index == nil ? "exactly" : "from \(ApproximateIndex.path(forModel: path))"
        Console.err("serving \(path) (\(model.userCount) users, \(model.itemCount) items) on http://\(options.host.contains(":") ? "[\(options.host)]" : options.host):\(server.port) with \(threads) scoring threads, answering \(answering)")
        stopped.wait()
        Console.err("stopping: finishing \(server.activeRequests) request(s) in flight")
        server.stop()
        Console.err("stopped")
        withExtendedLifetime(sources) {}
    }
}
