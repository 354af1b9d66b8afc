import Encore
import EncoreCLI
import EncoreMPI
import Foundation

/// `encore-mpi train`: the distributed trainer, launched by `mpirun` (or Slurm's `srun`).
let usage = """
Usage: mpirun -np P encore-mpi train FILE --output MODEL [data options] [model options]
                  [--strategy half-gridify|full-gridify|broadcast]
                  [--checkpoint-dir DIR [--checkpoint-every N]] [--quiet]

Trains implicit ALS on P processes and writes the same model file as `encore train`: the same
flags and defaults (--spark-defaults too), and with the same seed the same model to solver
tolerance.
Every process reads its own byte range of FILE; users and items are split into P blocks.

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

/// Runs `train` on this process; throws `UsageError` for bad calls.
func train(_ arguments: CommandLineArguments, communicator: Communicator) throws {
    let isRoot = communicator.rank == 0
    guard let output = try arguments.value("--output") else { throw UsageError("--output MODEL is required") }
    let quiet = try arguments.flag("--quiet")
    let strategy: DistributionStrategy = try arguments.choice("--strategy", default: .halfGridify)
    let checkpointDirectory = try arguments.value("--checkpoint-dir")
    let checkpointEvery = try arguments.int("--checkpoint-every", default: 1, in: 1...1_000_000)
    let failAfter = try arguments.value("--fail-after-iteration").map { text -> Int in
        guard let value = Int(text), value >= 1 else { throw UsageError("--fail-after-iteration must be a whole number ≥ 1 (got '\(text)')") }
        return value
    }
    let threadsGiven = arguments.has("--threads")
    let data = try DataOptions(arguments)
    let model = try ModelOptions(arguments)
    let file = try arguments.positionals(["FILE"])[0]
    let processesHere = Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? 1
    let threads = threadsGiven ? model.threads : max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, processesHere))
    func say(_ line: String) { if isRoot && !quiet { Console.err(line) } }

    // Every process sees the same files, so every one refuses alike (a usage error, exit 2).
    try OutputPath.refuseOverwritingInputs(output, inputs: data.inputs(file))
    // Find out now, not after a long fit, that process 0 cannot write the model where asked.
    var outputFailure: Error?
    if isRoot {
        do {
            var probe = try AtomicFileWriter(path: output)
            probe.abandon()
        } catch {
            outputFailure = error
        }
    }
    try communicator.stopIfAnyFailed(outputFailure)

    let readStart = now()
    let ratings = try DistributedReader.read(path: file, format: data.format, options: data.read, communicator: communicator)
    let readSeconds = secondsSince(readStart)
    if isRoot {
        var report = ReadReport()
        report.rowsSkipped = ratings.rowsSkipped
        report.skipExamples = ratings.skipExamples
        report.idsTrimmed = ratings.idsTrimmed
        report.trimExamples = ratings.trimExamples
        DataOptions.printNotes(report, path: file)
    }
    say("read \(ratings.rowsRead) rows on \(communicator.size) process\(communicator.size == 1 ? "" : "es"): \(ratings.users.count) users × \(ratings.items.count) items in \(Console.seconds(readSeconds))")

    let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
    let checkpoint = try checkpointDirectory.map {
        CheckpointSettings(directory: $0, every: checkpointEvery,
                           fingerprint: try TrainingCheckpoint.fingerprint(configuration: model.configuration, dataPath: file, dataBytes: size))
    }
    let trainer = DistributedALS(configuration: model.configuration, strategy: strategy, threads: threads, communicator: communicator)
    let fitStart = now()
    let fit = try trainer.fit(ratings, checkpoint: checkpoint, failAfterIteration: failAfter) { report in
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
    try ModelFile.write(trained, to: output)
    say("wrote \(output) in \(Console.seconds(secondsSince(writeStart)))")

    let done = fit.iterations
    var json = JSONLine()
    json.add("model", output)
    json.add("users", trained.userCount)
    json.add("items", trained.itemCount)
    json.add("interactions", ratings.interactionCount)
    json.add("rows", ratings.rowsRead)
    json.add("factors", model.configuration.factors)
    json.add("iterations", model.configuration.iterations)
    json.add("processes", communicator.size)
    json.add("strategy", strategy.rawValue)
    json.add("threads_per_process", threads)
    json.add("read_seconds", readSeconds)
    json.add("setup_seconds", fit.setupSeconds)
    json.add("train_seconds", trainSeconds)
    json.add("seconds_per_iteration", done.isEmpty ? 0 : done.map(\.seconds).reduce(0, +) / Double(done.count))
    json.add("loss", fit.lossHistory.last ?? .nan)
    json.add("bytes_per_iteration", done.isEmpty ? 0 : done.map(\.bytesSent).reduce(0, +) / done.count)
    json.add("predicted_bytes_per_iteration", fit.predictedBytesPerIteration)
    json.addRaw("peak_rss_mb_per_process", "[" + peaks.map(String.init).joined(separator: ",") + "]")
    json.add("resumed_from", fit.resumedFrom)
    Console.out(json.text)
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
