import Encore
import EncoreCLI
import Foundation

/// `encore train`: reads a ratings file, fits implicit ALS and writes a model file.
enum TrainCommand: Command {
    static let name = "train"
    static let summary = "train an implicit ALS model on a ratings file and save it"
    static let usage = """
    Usage: encore train FILE --output MODEL [--item-tags FILE] [data options] [model options]
                        [--checkpoint-dir DIR [--checkpoint-every N]] [--quiet]

    Reads user–item plays from FILE, sums repeated (user, item) rows, fits implicit ALS and
    writes MODEL atomically. Progress goes to stderr; the last stdout line is one JSON object
    with users, items, interactions, train_seconds, seconds_per_iteration and loss.

      --checkpoint-dir DIR    save the factors in DIR (DIR/checkpoint.encore, the format of
                              encore-mpi) and, when the same command is run again after a stop,
                              resume after the last saved iteration; a checkpoint of another
                              job (other data or model flags) is refused
      --checkpoint-every N    save after every N iterations (default 1)
    \(ItemTagsOption.help)

    \(DataOptions.help)

    \(ModelOptions.help)
    """

    static func run(_ arguments: CommandLineArguments) throws {
        guard let output = try arguments.value("--output") else { throw UsageError("--output MODEL is required") }
        GlibcMalloc.fixMmapThreshold()  // before the play log is read: its peak (GlibcMalloc)
        let quiet = try arguments.flag("--quiet")
        let checkpointDirectory = try arguments.value("--checkpoint-dir")
        let checkpointEvery = try arguments.int("--checkpoint-every", default: 1, in: 1...1_000_000)
        if arguments.has("--checkpoint-every") && checkpointDirectory == nil { throw UsageError("--checkpoint-every needs --checkpoint-dir DIR") }
        let tagOption = try ItemTagsOption(arguments)
        let data = try DataOptions(arguments)
        let model = try ModelOptions(arguments)
        let file = try arguments.positionals(["FILE"])[0]

        try OutputPath.refuseOverwritingInputs(output, inputs: data.inputs(file) + tagOption.inputs)
        // Find out now, not after a long fit, that the model cannot be written where asked.
        var probe = try AtomicFileWriter(path: output)
        probe.abandon()

        let readStart = now()
        // Text is read and built into both orientations (the rows let go as they are used); a
        // binary play log (`encore import`) is read straight into them.
        var log = try data.loadPlayLog(file, quiet: quiet)
        let plays = log.userItems.nonZeroCount
        // Read before the fit: a bad row in the tags should not cost a training run.
        let tags = try tagOption.load()
        let readSeconds = secondsSince(readStart)
        if !quiet {
            Console.err("read \(log.sourceRows) rows: \(log.userIDs.count) users × \(log.itemIDs.count) items, \(plays) plays in \(Console.seconds(readSeconds)); \(PeakMemory.summary(plays: plays))")
        }
        // The iterations' own times: train_seconds also holds one-off set-up (the transposed
        // matrix, confidences, initial vectors, forming the factors at the end).
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        let checkpoint = try checkpointDirectory.map {
            CheckpointSettings(directory: $0, every: checkpointEvery,
                               fingerprint: try TrainingCheckpoint.fingerprint(configuration: model.configuration, dataPath: file, dataBytes: size),
                               dataChecksum: try TrainingCheckpoint.dataChecksum(of: file))
        }
        var iterationSeconds: [Double] = []
        var resumedFrom = 0
        // Handed over, so that training owns the only copies of the plays (docs/scale.md).
        let (userItems, itemUsers) = log.takeMatrices()
        let fitted = try TrainedModel.train(
            log.idTables, matrix: consume userItems, transpose: consume itemUsers, configuration: model.configuration, threads: model.threads, source: file, checkpoint: checkpoint,
            resumed: { saved in
                resumedFrom = saved.iteration
                // Said even with --quiet: a resumed run's output is not that of a fresh one.
                Console.err("resuming from \(TrainingCheckpoint.path(in: checkpoint!.directory)): iterations 1–\(saved.iteration) of \(model.configuration.iterations) were done")
            }
        ) { report in
            iterationSeconds.append(report.seconds)
            if !quiet {
                Console.err("iteration \(report.iteration)/\(model.configuration.iterations): loss \(String(format: "%.6g", report.loss)) (\(Console.seconds(report.seconds))); \(PeakMemory.summary(plays: plays))")
            }
        }
        let trained = try tagOption.attach(to: fitted, tags: tags, playsPath: file, data: data, quiet: quiet)
        let writeStart = now()
        try ModelFile.write(trained, to: output)
        if !quiet { Console.err("wrote \(output) in \(Console.seconds(secondsSince(writeStart))); \(PeakMemory.summary(plays: plays))") }

        var summary = TrainSummary(
            model: output, users: trained.userCount, items: trained.itemCount, interactions: trained.interactions.nonZeroCount,
            rows: log.sourceRows, factors: model.configuration.factors, iterations: model.configuration.iterations,
            placement: .threads(model.threads), readSeconds: readSeconds, trainSeconds: trained.summary.trainSeconds,
            iterationSeconds: iterationSeconds, loss: trained.summary.lossHistory.last ?? .nan
        )
        if checkpoint != nil { summary.resumedFrom = resumedFrom }
        Console.out(summary.jsonText)
    }
}
