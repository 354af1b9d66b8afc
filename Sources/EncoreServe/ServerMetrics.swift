import Encore
import Foundation

/// Request counts, error counts and a latency histogram per route, rendered in Prometheus's text
/// format for `GET /metrics`.
public final class ServerMetrics: @unchecked Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
    private let lock = NSLock()
    private var requests: [String: Int] = [:]
    private var errors: [String: Int] = [:]
    private var bucketCounts: [String: [Int]] = [:]
    private var latencySum: [String: Double] = [:]
    /// Answers by route and by path: "index" (the approximate index) or "exact".
    private var answeredBy: [String: Int] = [:]

    /// Empty metrics.
    public init() {}

    /// Records one answered request.
    public func record(route: String, status: Int, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        requests["\(route)|\(status)", default: 0] += 1
        if status >= 400 { errors[route, default: 0] += 1 }
        var counts = bucketCounts[route] ?? [Int](repeating: 0, count: ServerMetrics.buckets.count)
        for (index, bound) in ServerMetrics.buckets.enumerated() where seconds <= bound { counts[index] += 1 }
        bucketCounts[route] = counts
        latencySum[route, default: 0] += seconds
    }

    /// Records which path answered one request of `route`: the approximate index, or the exact
    /// scan (no index in use, or the index handed the query back).
    public func recordPath(route: String, fromIndex: Bool) {
        lock.lock()
        defer { lock.unlock() }
        answeredBy["\(route)|\(fromIndex ? "index" : "exact")", default: 0] += 1
    }

    /// The Prometheus exposition text, with the served model's version and load facts and the
    /// counts of successful and refused reloads.
    public func render(model: ServedModel, reloads: (succeeded: Int, failed: Int) = (0, 0)) -> String {
        lock.lock()
        defer { lock.unlock() }
        var out = "# HELP encore_requests_total Requests answered, by route and status.\n# TYPE encore_requests_total counter\n"
        for key in requests.keys.sorted() {
            let parts = key.split(separator: "|")
            out += "encore_requests_total{route=\"\(parts[0])\",status=\"\(parts[1])\"} \(requests[key]!)\n"
        }
        out += "# HELP encore_request_errors_total Requests answered with a 4xx or 5xx status, by route.\n# TYPE encore_request_errors_total counter\n"
        for route in errors.keys.sorted() { out += "encore_request_errors_total{route=\"\(route)\"} \(errors[route]!)\n" }
        out += "# HELP encore_request_duration_seconds Time to answer a request, by route.\n# TYPE encore_request_duration_seconds histogram\n"
        for route in bucketCounts.keys.sorted() {
            let counts = bucketCounts[route]!
            let total = requests.filter { $0.key.hasPrefix(route + "|") }.values.reduce(0, +)
            for (index, bound) in ServerMetrics.buckets.enumerated() {
                out += "encore_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(counts[index])\n"
            }
            out += "encore_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(total)\n"
            out += "encore_request_duration_seconds_sum{route=\"\(route)\"} \(latencySum[route]!)\n"
            out += "encore_request_duration_seconds_count{route=\"\(route)\"} \(total)\n"
        }
        out += "# HELP encore_answers_total Ranked answers by route and by the path that computed them: index (approximate, encore index) or exact.\n# TYPE encore_answers_total counter\n"
        for key in answeredBy.keys.sorted() {
            let parts = key.split(separator: "|")
            out += "encore_answers_total{route=\"\(parts[0])\",path=\"\(parts[1])\"} \(answeredBy[key]!)\n"
        }
        out += "# HELP encore_index_in_use 1 when the served model's approximate index answers the ranking routes.\n# TYPE encore_index_in_use gauge\n"
        out += "encore_index_in_use \(model.index == nil ? 0 : 1)\n"
        if let index = model.index {
            out += "# HELP encore_index_recall Recall@10 of the index against the exact path, measured when it was built (recommendations, similar items).\n# TYPE encore_index_recall gauge\n"
            out += String(format: "encore_index_recall{kind=\"recommend\"} %.4f\nencore_index_recall{kind=\"similar\"} %.4f\n", index.header.recall, index.header.similarRecall)
        }
        out += "# HELP encore_model_version 1 for the model loaded at start, +1 per successful reload.\n# TYPE encore_model_version gauge\n"
        out += "encore_model_version \(model.version)\n"
        out += "# HELP encore_model_reloads_total Reloads (SIGHUP or admin route) that swapped a new model in.\n# TYPE encore_model_reloads_total counter\n"
        out += "encore_model_reloads_total \(reloads.succeeded)\n"
        out += "# HELP encore_model_reloads_failed_total Reloads refused because the new file failed to load; the old model kept serving.\n# TYPE encore_model_reloads_failed_total counter\n"
        out += "encore_model_reloads_failed_total \(reloads.failed)\n"
        out += "# HELP encore_model_loaded_timestamp_seconds When the served model was loaded.\n# TYPE encore_model_loaded_timestamp_seconds gauge\n"
        out += "encore_model_loaded_timestamp_seconds \(model.loadedAt)\n"
        out += "# HELP encore_model_load_seconds How long loading the served model took.\n# TYPE encore_model_load_seconds gauge\n"
        out += "encore_model_load_seconds \(model.loadSeconds)\n"
        out += "# HELP encore_model_users Users in the served model.\n# TYPE encore_model_users gauge\nencore_model_users \(model.model.userCount)\n"
        out += "# HELP encore_model_items Items in the served model.\n# TYPE encore_model_items gauge\nencore_model_items \(model.model.itemCount)\n"
        out += Machine.current.prometheusInfo
        return out
    }
}
