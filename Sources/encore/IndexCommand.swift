import Encore
import EncoreCLI
import Foundation

/// `encore index`: builds the approximate top-k index beside a model, or measures it.
enum IndexCommand: Command {
    static let name = "index"
    static let summary = "build the approximate top-k index (FAISS) beside a model, or measure its recall and speed"
    static let usage = """
    Usage: encore index MODEL [--kind ivf-flat|ivf-pq | --factory DESCRIPTION] [--breadth N] [--similar-breadth N]
                        [--candidates N] [--threads N]
           encore index MODEL --evaluate [--users 1000] [--items 1000] [--breadth N] [--similar-breadth N] [--candidates N]

    Builds MODEL.index: FAISS inner-product indexes over the model's item vectors (for
    recommendations) and over their unit-length vectors (for similar items and radio, by cosine),
    bound to this model file by its checksum. serve answers from it by itself (and recommend-all,
    when it measured faster than the exact batch path) when the catalogue has at least \(ApproximateIndex.automaticMinimumItems)
    items and the recall@10 measured at build time is at least \(ApproximateIndex.requiredRecall); recommend, similar and
    radio answer one query each, which does not repay reading the index, so they use it with
    --approximate. --exact never uses it. Seen items, filters and --min-listeners hold either way.
      --kind K           ivf-flat (default: IVF√n,Flat, n items) or ivf-pq (IVF√n,PQ16: 16 bytes an
                         item instead of 4 a factor, less recall; for 40 M items)
      --factory D        any FAISS index_factory description instead of --kind (e.g. HNSW32);
                         {lists} in it stands for the square root of the vectors indexed
      --breadth N        inverted lists a recommendation search looks in (nprobe; default \(ApproximateIndex.Settings.defaults(items: 0).breadth))
      --similar-breadth N  the same for similar items and radio (default \(ApproximateIndex.Settings.defaults(items: 0).similarBreadth), or a tenth of
                         the similar-items lists where that is more)
      --candidates N     for an index that is not IVF-flat (ivf-pq): candidates a query asks for
                         at least, to re-score from the model's vectors (ivf-pq: 1024, and its
                         similar breadth a fifth of the lists; else 32)
    --evaluate samples users and items, answers each from the index and exactly, and prints
    recall@10 against the exact lists and the speed-up, one query at a time as the server answers.
    Needs FAISS (Debian libfaiss-dev, installed by scripts/setup).
    """

    static func run(_ arguments: CommandLineArguments) throws {
        let evaluate = try arguments.flag("--evaluate")
        let kind = try arguments.value("--kind")
        let factory = try arguments.value("--factory")
        let breadthFlag = try arguments.int("--breadth", default: 0, in: 0...1_000_000)
        let breadth = breadthFlag > 0 ? breadthFlag : nil
        let similarBreadthFlag = try arguments.int("--similar-breadth", default: 0, in: 0...1_000_000)
        let similarBreadth = similarBreadthFlag > 0 ? similarBreadthFlag : nil
        let candidatesFlag = try arguments.int("--candidates", default: 0, in: 0...1_000_000)
        let candidates = candidatesFlag > 0 ? candidatesFlag : nil
        let threads = try arguments.int("--threads", default: Parallel.defaultThreadCount, in: 1...1024)
        let users = try arguments.int("--users", default: 1000, in: 1...10_000_000)
        let items = try arguments.int("--items", default: 1000, in: 0...10_000_000)
        let path = try arguments.positionals(["MODEL"])[0]
        if kind != nil && factory != nil { throw UsageError("give --kind or --factory, not both") }
        guard FAISSIndex.isAvailable else { throw EncoreError.invalidArgument(FAISSIndex.missingMessage) }
        let (model, checksum) = try ModelFile.readWithChecksum(from: path)
        let indexPath = ApproximateIndex.path(forModel: path)
        if evaluate {
            // The exact batch path first: its longest-first order and head copy are gone before
            // the index is read, so the two are never in memory together.
            let exactBatch = try ApproximateIndex.exactBatchSeconds(model, users: ApproximateIndex.batchSample, threads: threads)
            var index = try ApproximateIndexFile.read(from: indexPath, for: model, modelChecksum: checksum)
            index = index.searching(breadth: breadth, similarBreadth: similarBreadth, candidates: candidates)
            report(index.evaluate(model, users: users, items: items, seed: 2), index: index, model: model)
            let indexBatch = try index.indexBatchSeconds(model, users: ApproximateIndex.batchSample, threads: threads)
            Console.out(String(format: "recommend-all, %d users spread over the model: exact %@, index (%d lists a user) %@: %.2f× the exact speed",
                               ApproximateIndex.batchSample, Console.seconds(exactBatch), index.header.settings.batchBreadth ?? index.header.settings.breadth,
                               Console.seconds(indexBatch), exactBatch / max(indexBatch, 1e-9)))
            return
        }
        var settings = ApproximateIndex.Settings.defaults(for: model)
        if let description = try factory ?? kind.map(describe) { settings.description = description }
        // PQ's 16-byte codes cannot tell close cosine neighbours apart: similar items' recall@10
        // was 0.75 / 0.96 / 0.98 with 32 / 256 / 1,024 candidates re-scored at 4 M items, and at
        // 40 M 0.945 with 1,024 in a tenth of the lists, 0.966 in a fifth (docs/catalogue.md).
        if kind == "ivf-pq" {
            settings.candidates = 1024
            let members = model.listenerCounts.reduce(0) { $0 + ($1 >= settings.similarMinimumListeners ? 1 : 0) }
            settings.similarBreadth = max(settings.similarBreadth, ApproximateIndex.Settings.lists(items: members) / 5)
        }
        if let breadth { settings.breadth = breadth }
        if let similarBreadth { settings.similarBreadth = similarBreadth }
        if let candidates { settings.candidates = candidates }
        let start = now()
        var lastShown = 0.0
        let index = try ApproximateIndex.build(model, modelChecksum: checksum, settings: settings, threads: threads) { stage, done in
            let elapsed = secondsSince(start)
            guard elapsed - lastShown >= 1 || done >= 1 else { return }
            lastShown = elapsed
            let left = done > 0.02 ? ", about \(Console.seconds(elapsed * (1 - done) / done)) left" : ""
            Console.progress(String(format: "%@: %.0f%%", stage, 100 * done) + left)
        }
        Console.endProgress()
        try ApproximateIndexFile.write(index, to: indexPath)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: indexPath)[.size] as? Int) ?? 0
        let header = index.header
        Console.err("wrote \(indexPath) (\(settings.description(forItems: model.itemCount)), breadth \(settings.breadth), similar \(settings.similarBreadth)) in \(Console.seconds(header.buildSeconds)): \(bytes / 1_048_576) MB, \(bytes / max(1, model.itemCount)) bytes per item")
        Console.err(String(format: "recall@10 on %d sampled users %.3f, on %d sampled items (similar) %.3f", ApproximateIndex.buildSample, header.recall, ApproximateIndex.buildSample, header.similarRecall))
        let batchBreadth = header.settings.batchBreadth ?? header.settings.breadth
        Console.err(String(format: "recommend-all from the index (%d lists a user, the fewest at recall@10 %.2f or more and within 0.01 of all %d on the sample): %.2f× the exact batch path's speed on %d users",
                           batchBreadth, ApproximateIndex.requiredRecall, header.settings.breadth, header.batchSpeedUp, ApproximateIndex.batchSample))
        Console.err(choice(index, model: model))
    }

    /// The FAISS description for `--kind`; {lists} becomes each index's number of lists.
    static func describe(kind: String) throws -> String {
        switch kind {
        case "ivf-flat": return "IVF{lists},Flat"
        // "np": no polysemous training, which only renumbers the codes so that Hamming distances
        // between them mean something (a search Encore never runs), and which was nearly all of
        // the build's time on Debian's FAISS (a popcount without the instruction): at 4 M items it
        // had not finished in 10 minutes (docs/catalogue.md).
        case "ivf-pq": return "IVF{lists},PQ16np"
        default: throw UsageError("--kind must be ivf-flat or ivf-pq (got '\(kind)')")
        }
    }

    static func report(_ result: ApproximateIndex.Evaluation, index: ApproximateIndex, model: TrainedModel) {
        func speedUp(_ exact: Double, _ approximate: Double) -> String { approximate > 0 ? String(format: "%.1f×", exact / approximate) : "-" }
        func micros(_ seconds: Double) -> String { String(format: "%.0f µs", seconds * 1e6) }
        let settings = index.header.settings
        Console.out("index \(settings.description(forItems: model.itemCount)), breadth \(settings.breadth), similar breadth \(settings.similarBreadth); \(model.itemCount) items, \(index.similarMembers.count) with \(settings.similarMinimumListeners)+ listeners")
        Console.out(String(format: "recommend: recall@10 %.4f over %d users; exact %@ a query, index %@: %@ faster",
                           result.recall, result.users, micros(result.exactSeconds), micros(result.indexSeconds),
                           speedUp(result.exactSeconds, result.indexSeconds)))
        Console.out(String(format: "similar:   recall@10 %.4f over %d items; exact %@ a query, index %@: %@ faster",
                           result.similarRecall, result.items, micros(result.exactSimilarSeconds), micros(result.indexSimilarSeconds),
                           speedUp(result.exactSimilarSeconds, result.indexSimilarSeconds)))
        Console.out("answered exactly because the filters left too few candidates: \(result.fallbacks)")
        if !result.recallByBreadth.isEmpty {
            Console.out("recommend: recall@10 in fewer lists: " + result.recallByBreadth.sorted { $0.key < $1.key }.map { String(format: "%d: %.4f", $0.key, $0.value) }.joined(separator: ", "))
        }
        Console.out(choice(index, model: model))
    }

    static func choice(_ index: ApproximateIndex, model: TrainedModel) -> String {
        guard index.isChosenAutomatically(forItems: model.itemCount) else {
            return "the commands answer exactly unless asked with --approximate (the catalogue has fewer than \(ApproximateIndex.automaticMinimumItems) items, or the measured recall is below \(ApproximateIndex.requiredRecall))"
        }
        return index.isChosenAutomaticallyForBatches(forItems: model.itemCount)
            ? "serve and recommend-all answer from this index by themselves (--exact to compare); recommend, similar and radio with --approximate"
            : "serve answers from this index by itself; recommend-all answers exactly, which measured faster; recommend, similar and radio with --approximate"
    }
}
