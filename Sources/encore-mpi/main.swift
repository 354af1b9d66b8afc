import Encore
import EncoreCLI
import EncoreMPI
import Foundation

// OpenBLAS's kernel set is settled at the first BLAS call, which sets OPENBLAS_CORETYPE for a
// moment when it reloads the set (BLASKernelChoice); made here, while this is the only thread,
// no other thread can read the environment meanwhile.
BLAS.ensureSingleThreaded()

/// `encore-mpi train`: the distributed trainer, launched by `mpirun` (or Slurm's `srun`).
let usage = """
Usage: mpirun -np P encore-mpi train FILE --output MODEL [data options] [model options]
                  [--strategy half-gridify|full-gridify|broadcast]
                  [--checkpoint-dir DIR [--checkpoint-every N]] [--quiet]

Trains implicit ALS on P processes and writes the same model file as `encore train`: the same
flags and defaults (--spark-defaults too), and with the same seed the same model to solver
tolerance.
Every process reads its own byte range of FILE; users and items are split into P blocks.
FILE may be a binary play log (`encore import`): then each process reads only its blocks' rows.

  --strategy S            how vectors reach the processes that need them (default half-gridify):
                            half-gridify  each process receives exactly the vectors its rows need
                            full-gridify  partial normal equations are shipped to the rows' owners
                            broadcast     every process receives every vector
  --checkpoint-dir DIR    save the factors in DIR and resume from there when restarted with the
                          same data and model flags
  --checkpoint-every N    save after every N iterations (default 1)
  --threads N             threads per process (default: the machine's cores / processes on it)
  --fail-after-iteration N
                          the last process dies abruptly after iteration N (tests failure
                          handling and resuming)

Progress goes to stderr from process 0; the last stdout line is one JSON object with users,
items, interactions, processes, strategy, train_seconds, seconds_per_iteration, loss,
bytes_per_iteration, predicted_bytes_per_iteration and peak_rss_mb_per_process.

\(DataOptions.help)

\(ModelOptions.help)
"""

/// Peak resident memory of this process, in MiB.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// The flags of `encore-mpi train`, checked. Every process parses the same command line, so
/// every one refuses a bad call alike.
struct TrainFlags {
    let output: String
    let quiet: Bool
    let strategy: DistributionStrategy
    let checkpointDirectory: String?
    let checkpointEvery: Int
    let failAfter: Int?
    let data: DataOptions
    let model: ModelOptions
    let file: String
    /// Threads per process: --threads, else the machine's cores shared among its processes.
    let threads: Int

    init(_ arguments: CommandLineArguments) throws {
        guard let output = try arguments.value("--output") else { throw UsageError("--output MODEL is required") }
        self.output = output
        quiet = try arguments.flag("--quiet")
        strategy = try arguments.choice("--strategy", default: .halfGridify)
        checkpointDirectory = try arguments.value("--checkpoint-dir")
        checkpointEvery = try arguments.int("--checkpoint-every", default: 1, in: 1...1_000_000)
        failAfter = try arguments.value("--fail-after-iteration").map { text -> Int in
            guard let value = Int(text), value >= 1 else { throw UsageError("--fail-after-iteration must be a whole number ≥ 1 (got '\(text)')") }
            return value
        }
        let threadsGiven = arguments.has("--threads")
        data = try DataOptions(arguments)
        model = try ModelOptions(arguments)
        if let refusal = DistributedALS.unsupported(model.configuration) { throw UsageError(refusal) }
        file = try arguments.positionals(["FILE"])[0]
        let processesHere = Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? 1
        threads = threadsGiven ? model.threads : max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, processesHere))
    }
}

/// Refuses, on every process alike, an output that would overwrite an input (a usage error,
/// exit 2) or that process 0 cannot write: found out now, not after a long fit.
func checkOutput(_ flags: TrainFlags, communicator: Communicator) throws {
    // Every process sees the same files, so every one refuses alike.
    try OutputPath.refuseOverwritingInputs(flags.output, inputs: flags.data.inputs(flags.file))
    var outputFailure: Error?
    if communicator.rank == 0 {
        do {
            var probe = try AtomicFileWriter(path: flags.output)
            probe.abandon()
        } catch {
            outputFailure = error
        }
    }
    try communicator.stopIfAnyFailed(outputFailure)
}

/// Process 0's notes on the rows the read skipped or trimmed, as `encore train` prints them.
func printReadNotes(_ ratings: DistributedRatings, path: String) {
    var report = ReadReport()
    report.rowsSkipped = ratings.rowsSkipped
    report.skipExamples = ratings.skipExamples
    report.idsTrimmed = ratings.idsTrimmed
    report.trimExamples = ratings.trimExamples
    DataOptions.printNotes(report, path: path)
}

/// Runs `train` on this process; throws `UsageError` for bad calls.
func train(_ arguments: CommandLineArguments, communicator: Communicator) throws {
    let flags = try TrainFlags(arguments)
    let isRoot = communicator.rank == 0
    let model = flags.model, file = flags.file
    func say(_ line: String) { if isRoot && !flags.quiet { Console.err(line) } }
    try checkOutput(flags, communicator: communicator)

    let readStart = now()
    // A binary play log (`encore import`) is known by its first bytes; each process reads its rows.
    let ratings: DistributedRatings
    if PlayLogFile.isPlayLog(path: file) {
        guard flags.data.words.isEmpty else {
            throw UsageError("\(file) is a binary play log: its layout is fixed, so drop the data flags (\(flags.data.words.joined(separator: " ")))")
        }
        ratings = try DistributedPlayLogReader.read(path: file, communicator: communicator)
    } else {
        ratings = try DistributedReader.read(path: file, format: flags.data.format, options: flags.data.read, communicator: communicator)
    }
    let readSeconds = secondsSince(readStart)
    if isRoot { printReadNotes(ratings, path: file) }
    say("read \(ratings.rowsRead) rows on \(communicator.size) process\(communicator.size == 1 ? "" : "es"): \(ratings.users.count) users × \(ratings.items.count) items in \(Console.seconds(readSeconds))")

    let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
    let checkpoint = try flags.checkpointDirectory.map {
        CheckpointSettings(directory: $0, every: flags.checkpointEvery,
                           fingerprint: try TrainingCheckpoint.fingerprint(configuration: model.configuration, dataPath: file, dataBytes: size))
    }
    let trainer = DistributedALS(configuration: model.configuration, strategy: flags.strategy, threads: flags.threads, communicator: communicator)
    let fitStart = now()
    let fit = try trainer.fit(ratings, checkpoint: checkpoint, failAfterIteration: flags.failAfter) { report in
        say("iteration \(report.iteration)/\(model.configuration.iterations): loss \(String(format: "%.6g", report.loss)) (\(Console.seconds(report.seconds)), \(String(format: "%.1f", Double(report.bytesSent) / 1e6)) MB sent)")
    }
    let trainSeconds = secondsSince(fitStart)
    if fit.resumedFrom > 0 { say("resumed from the checkpoint after iteration \(fit.resumedFrom)") }
    let trained = try DistributedModel.assemble(
        ratings: ratings, fit: fit, configuration: model.configuration, source: file, trainSeconds: trainSeconds, communicator: communicator
    )
    let peaks = communicator.allGather(Int(peakResidentMegabytes().rounded()))
    guard let trained else { return }
    let writeStart = now()
    try ModelFile.write(trained, to: flags.output)
    say("wrote \(flags.output) in \(Console.seconds(secondsSince(writeStart)))")

    let done = fit.iterations
    var summary = TrainSummary(
        model: flags.output, users: trained.userCount, items: trained.itemCount, interactions: ratings.interactionCount,
        rows: ratings.rowsRead, factors: model.configuration.factors, iterations: model.configuration.iterations,
        placement: .processes(communicator.size, strategy: flags.strategy.rawValue, threadsPerProcess: flags.threads),
        readSeconds: readSeconds, trainSeconds: trainSeconds, iterationSeconds: done.map(\.seconds), loss: fit.lossHistory.last ?? .nan
    )
    summary.setupSeconds = fit.setupSeconds
    summary.traffic = TrainSummary.Traffic(
        bytesPerIteration: done.isEmpty ? 0 : done.map(\.bytesSent).reduce(0, +) / done.count,
        predictedBytesPerIteration: fit.predictedBytesPerIteration, peakResidentMegabytesPerProcess: peaks
    )
    summary.resumedFrom = fit.resumedFrom
    Console.out(summary.jsonText)
}

let communicator = Communicator()
let argv = Array(CommandLine.arguments.dropFirst())
var status: Int32 = 0
if argv.isEmpty || ["help", "--help", "-h"].contains(argv[0]) {
    if communicator.rank == 0 { Console.out(usage) }
} else if argv[0] == "--version" {
    if communicator.rank == 0 { Console.out("encore-mpi \(EncoreLibrary.version)") }
} else if argv[0] != "train" {
    if communicator.rank == 0 { Console.err("encore-mpi: unknown command '\(argv[0])'; the one command is 'train' (see encore-mpi --help)") }
    status = 2
} else {
    let arguments = CommandLineArguments(command: "train", Array(argv.dropFirst()), program: "encore-mpi")
    if arguments.wantsHelp() {
        if communicator.rank == 0 { Console.out(usage) }
    } else {
        do {
            try train(arguments, communicator: communicator)
        } catch let error as UsageError {
            // Every process parses the same command line, so every one stops here alike.
            if communicator.rank == 0 { Console.err("encore-mpi train: \(error.description)") }
            status = 2
        } catch is FailedElsewhere {
            status = 1
        } catch {
            let who = communicator.size > 1 ? " (process \(communicator.rank) of \(communicator.size))" : ""
            Console.err("encore-mpi train: error\(who): \((error as? EncoreError)?.description ?? error.localizedDescription)")
            // Others may be waiting for this process in a collective: end the whole job now.
            if communicator.size > 1 { communicator.abort(code: 1) }
            status = 1
        }
    }
}
communicator.finish()
exit(status)
