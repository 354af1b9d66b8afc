import Encore
import Foundation

/// The model being served, with what the metrics report about it.
public struct ServedModel: Sendable {
    /// The model.
    package let model: TrainedModel
    /// 1 for the model loaded at start, +1 for every successful reload.
    public let version: Int
    /// When it was loaded (Unix seconds).
    public let loadedAt: Double
    /// How long loading it took.
    public let loadSeconds: Double
    /// The checksum stored at the end of the model file (and verified), naming the file served.
    package let checksum: UInt64
}

/// Holds the served model and swaps it atomically on reload: a request takes a snapshot when it
/// starts and finishes on that model even if a reload happens meanwhile; a file that fails to
/// load is refused and the old model keeps serving.
public final class ModelHolder: @unchecked Sendable {
    /// The model file.
    public let path: String
    private let lock = NSLock()
    private var current: ServedModel
    private var reloadsSucceeded = 0
    private var reloadsFailed = 0

    /// Loads `path`; throws if it is not a usable model file.
    public init(path: String) throws {
        self.path = path
        current = try ModelHolder.load(path, version: 1)
    }

    /// The model to answer one request with.
    public func snapshot() -> ServedModel {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Reloads so far that swapped a new model in, and that were refused (SIGHUP and admin route alike).
    public func reloadCounts() -> (succeeded: Int, failed: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (reloadsSucceeded, reloadsFailed)
    }

    /// Loads the file again and swaps it in; on failure the old model stays and the error is thrown.
    /// Either way the outcome is counted for `/metrics`.
    @discardableResult
    public func reload() throws -> ServedModel {
        let version = snapshot().version + 1
        let loaded: ServedModel
        do {
            loaded = try ModelHolder.load(path, version: version)
        } catch {
            lock.lock()
            reloadsFailed += 1
            lock.unlock()
            throw error
        }
        lock.lock()
        current = loaded
        reloadsSucceeded += 1
        lock.unlock()
        return loaded
    }

    private static func load(_ path: String, version: Int) throws -> ServedModel {
        let start = DispatchTime.now().uptimeNanoseconds
        let (model, checksum) = try ModelFile.readWithChecksum(from: path)
        // Derived tables are built now, not on the first request that needs them, side by side:
        // the file's own sections are mapped, not read, so these are most of a load's time.
        DispatchQueue.concurrentPerform(iterations: 3) { table in
            switch table {
            case 0: _ = model.normOrderedItems
            case 1: _ = model.normalizedItemFactors
            default: _ = model.itemGram
            }
        }
        return ServedModel(model: model, version: version, loadedAt: Date().timeIntervalSince1970,
                           loadSeconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, checksum: checksum)
    }
}
