import Encore
import EncoreCLI
import Foundation

/// `--exact` and `--approximate` of the commands that rank items: whether to answer from the
/// approximate index beside the model (`encore index`). A one-shot command (`recommend`,
/// `similar`, `radio`) answers one query, and reading the index costs more than the query it
/// saves (1.24 s against 0.83 s for `recommend` at 1 M items, whole process; docs/catalogue.md),
/// so it uses the index only when asked. `recommend-all` uses it by itself when it is there and
/// `ApproximateIndex.isChosenAutomaticallyForBatches` says it pays; `serve` decides in
/// `ModelHolder`.
struct IndexOptions {
    var exact: Bool
    var approximate: Bool

    static let help = """
      --exact            answer exactly even where MODEL.index (encore index) exists
      --approximate      answer from MODEL.index (an error when there is none)
    """

    init(_ arguments: CommandLineArguments) throws {
        exact = try arguments.flag("--exact")
        approximate = try arguments.flag("--approximate")
        if exact && approximate { throw UsageError("give --exact or --approximate, not both") }
    }

    /// Reads the model at `path` and, when it is asked for (or, for `batch`, chosen), its index.
    /// A damaged index, or one of another model, is an error (rebuild it, or pass --exact).
    /// `checking` says which of a version 4 file's chunks the load checks (a one-shot command
    /// checks what it reads; the index's checks count every item's listeners, so with an index
    /// the training matrix is checked whole).
    func load(_ path: String, batch: Bool = false, checking: ModelFile.Checking = .everything) throws -> (model: TrainedModel, index: ApproximateIndex?) {
        if exact || (!approximate && !batch) { return (try ModelFile.read(from: path, checking: checking), nil) }
        let indexChecking: ModelFile.Checking = if case .deferringUserRows = checking { .deferringUserFactors } else { checking }
        let (model, checksum) = try ModelFile.readWithChecksum(from: path, checking: indexChecking)
        let index = try IndexOptions.index(for: model, checksum: checksum, at: path, required: approximate)
        if batch, !approximate, let index, !index.isChosenAutomaticallyForBatches(forItems: model.itemCount) { return (model, nil) }
        return (model, index)
    }

    /// The index beside the model at `path` when it should answer: always when `required` (an
    /// error when there is none), else when present and chosen automatically. Where this build
    /// has no FAISS, an index that is present is skipped with a note (required: an error).
    static func index(for model: TrainedModel, checksum: UInt64, at path: String, required: Bool) throws -> ApproximateIndex? {
        let indexPath = ApproximateIndex.path(forModel: path)
        guard FileManager.default.fileExists(atPath: indexPath) else {
            if required { throw EncoreError.invalidArgument("\(indexPath): no index beside the model; build it with encore index \(path)") }
            return nil
        }
        guard FAISSIndex.isAvailable else {
            if required { throw EncoreError.invalidArgument(FAISSIndex.missingMessage) }
            Console.err("note: \(indexPath) is not used: \(FAISSIndex.missingMessage)")
            return nil
        }
        let index = try ApproximateIndexFile.read(from: indexPath, for: model, modelChecksum: checksum)
        return required || index.isChosenAutomatically(forItems: model.itemCount) ? index : nil
    }
}
