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
    /// The approximate index the recommendation, similar and radio routes answer from, when
    /// one is in use (`IndexUse`).
    package let index: ApproximateIndex?
    /// Why an index beside the model is not in use, when one is there but is not (said at start).
    public let indexNote: String?
}

/// Whether the server answers from the approximate index beside the model (`encore index`).
public enum IndexUse: Sendable {
    /// When the index is there and `ApproximateIndex.isChosenAutomatically` says it pays; an
    /// index that cannot be used (damaged, of another model, no FAISS) is skipped with a note.
    case automatic
    /// Never (`--exact`).
    case exact
    /// Always: the model fails to load without a usable index (`--approximate`).
    case approximate
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
    /// Whether the index beside the model is used; a reload applies it again.
    public let indexUse: IndexUse

    /// Loads `path`; throws if it is not a usable model file.
    public init(path: String, indexUse: IndexUse = .automatic) throws {
        self.path = path
        self.indexUse = indexUse
        current = try ModelHolder.load(path, version: 1, indexUse: indexUse)
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
            loaded = try ModelHolder.load(path, version: version, indexUse: indexUse)
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

    private static func load(_ path: String, version: Int, indexUse: IndexUse) throws -> ServedModel {
        let start = DispatchTime.now().uptimeNanoseconds
        let (model, checksum) = try ModelFile.readWithChecksum(from: path)
        let (index, note) = try loadIndex(besides: path, model: model, checksum: checksum, use: indexUse)
        // Derived tables are built now, not on the first request that needs them, side by side:
        // the file's own sections are mapped, not read, so these are most of a load's time.
        // Similar items and radio need only the items' lengths (4 bytes an item), not a
        // unit-length copy of the vectors; the exact batch path copies only the longest 1/64.
        DispatchQueue.concurrentPerform(iterations: 4) { table in
            switch table {
            case 0: _ = model.normOrderedItems
            case 1: _ = model.inverseItemLengths
            case 2: _ = model.listenerCounts
            default: _ = model.itemGram
            }
        }
        return ServedModel(model: model, version: version, loadedAt: Date().timeIntervalSince1970,
                           loadSeconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, checksum: checksum,
                           index: index, indexNote: note)
    }

    /// The index beside the model at `path` to answer from, or nil and why not.
    private static func loadIndex(
        besides path: String, model: TrainedModel, checksum: UInt64, use: IndexUse
    ) throws -> (ApproximateIndex?, String?) {
        let indexPath = ApproximateIndex.path(forModel: path)
        guard use != .exact else { return (nil, nil) }
        guard FileManager.default.fileExists(atPath: indexPath) else {
            if use == .approximate { throw EncoreError.invalidArgument("\(indexPath): no index beside the model; build it with encore index \(path)") }
            return (nil, nil)
        }
        do {
            guard FAISSIndex.isAvailable else { throw EncoreError.invalidArgument(FAISSIndex.missingMessage) }
            let index = try ApproximateIndexFile.read(from: indexPath, for: model, modelChecksum: checksum)
            if use == .approximate || index.isChosenAutomatically(forItems: model.itemCount) { return (index, nil) }
            return (nil, "\(indexPath) is not used: the catalogue is small or its measured recall low (--approximate uses it)")
        } catch let error as EncoreError where use == .automatic {
            return (nil, "\(indexPath) is not used: \(error.description)")
        }
    }
}
