import Foundation

/// Where a ranked list comes from: the command line's `--exact` and `--approximate`, and
/// neither (`automatic`).
public enum Retrieval: Sendable, Hashable {
    /// From the approximate index when one is open (`EncoreModel.openingIndex`) and it pays: a
    /// catalogue of at least 500,000 items and a recall@10 of at least 0.95, measured when the
    /// index was built, for recommendations and for similar items. Exactly otherwise.
    case automatic
    /// Every item scored: the exact answer, whatever index is open.
    case exact
    /// From the open index (an error when none is). A query the index cannot fill — filters
    /// that leave too few of the items it looked at, a `minimumListeners` below the one it was
    /// built with — is still answered exactly, so a list is never shorter than the exact one.
    case approximate
}

/// What an open approximate index is and what it measured when it was built.
public struct ApproximateIndexSummary: Sendable, Hashable {
    /// The FAISS index it holds, as FAISS's factory names it ("IVF3458,Flat").
    public let kind: String
    /// Mean recall@10 of its recommendations against the exact lists, on sampled listeners.
    public let recall: Double
    /// The same for similar items, on sampled items.
    public let similarRecall: Double
    /// Whether `Retrieval.automatic` answers from it.
    public let answersAutomatically: Bool
}

extension EncoreModel {
    /// This model with the approximate index beside its file open (`MODEL.index`, built by
    /// `encore index MODEL` or `buildIndex()`), or the index at `file`. Queries then take
    /// `retrieval:`; `.automatic` (their default) answers from the index where it pays
    /// (`Retrieval.automatic`). The index is read into memory: about 400 bytes an item with the
    /// default IVF-flat kind (docs/catalogue.md).
    ///
    /// - Throws: `EncoreError.invalidArgument` when the model was not loaded from a file, when
    ///   there is no index, when the index is damaged or was built from another model (or an
    ///   earlier version of this one: rebuild it), or when this build of Encore has no FAISS.
    public func openingIndex(at file: URL? = nil) throws -> EncoreModel {
        let source = try modelFile(for: "open its index")
        guard FAISSIndex.isAvailable else { throw EncoreError.invalidArgument(FAISSIndex.missingMessage) }
        let path = try file.map { try EncoreModel.localPath($0) } ?? ApproximateIndex.path(forModel: source.path)
        guard FileManager.default.fileExists(atPath: path) else {
            throw EncoreError.invalidArgument("\(path): no index beside the model; build it with buildIndex() or encore index \(source.path)")
        }
        let index = try ApproximateIndexFile.read(from: path, for: model, modelChecksum: source.checksum)
        return EncoreModel(model, file: source, index: index)
    }

    /// Builds the approximate index of this model (FAISS, IVF-flat with the defaults `encore
    /// index` uses), writes it atomically beside the model file (`MODEL.index`) and returns the
    /// model with it open. It measures its recall against the exact path on 200 sampled
    /// listeners and items while building (about ten minutes at 12 million items on two busy
    /// cores, a minute at one million).
    ///
    /// - Parameters:
    ///   - threads: How many threads; nil uses every core.
    ///   - progress: Called on the calling thread with what is being done and the share done (0...1).
    /// - Throws: `EncoreError.invalidArgument` when the model was not loaded from a file or this
    ///   build of Encore has no FAISS; `EncoreError.io` when the index cannot be written.
    public func buildIndex(threads: Int? = nil, progress: ((String, Double) -> Void)? = nil) throws -> EncoreModel {
        let source = try modelFile(for: "build its index")
        if let threads, threads < 1 { throw EncoreError.invalidParameter(name: "threads", value: "\(threads)", requirement: "be at least 1") }
        guard FAISSIndex.isAvailable else { throw EncoreError.invalidArgument(FAISSIndex.missingMessage) }
        let index = try ApproximateIndex.build(
            model, modelChecksum: source.checksum, settings: .defaults(for: model), threads: threads ?? Parallel.defaultThreadCount,
            progress: { stage, done in progress?(stage, done) }
        )
        try ApproximateIndexFile.write(index, to: ApproximateIndex.path(forModel: source.path))
        return EncoreModel(model, file: source, index: index)
    }

    /// The open approximate index, or nil when none is.
    public var approximateIndex: ApproximateIndexSummary? {
        index.map {
            ApproximateIndexSummary(
                kind: $0.header.settings.description(forItems: model.itemCount), recall: $0.header.recall, similarRecall: $0.header.similarRecall,
                answersAutomatically: $0.isChosenAutomatically(forItems: model.itemCount)
            )
        }
    }

    /// The index to answer from for `retrieval`, or nil for the exact path.
    func index(for retrieval: Retrieval) throws -> ApproximateIndex? {
        switch retrieval {
        case .exact: return nil
        case .automatic: return index.flatMap { $0.isChosenAutomatically(forItems: model.itemCount) ? $0 : nil }
        case .approximate:
            guard let index else {
                throw EncoreError.invalidArgument("no approximate index is open: build one with buildIndex() (or encore index MODEL) and open it with openingIndex()")
            }
            return index
        }
    }

    private func modelFile(for purpose: String) throws -> (path: String, checksum: UInt64) {
        guard let file else {
            throw EncoreError.invalidArgument("an index belongs to a model file: save the model and load it with EncoreModel.load(from:) to \(purpose)")
        }
        return file
    }
}
