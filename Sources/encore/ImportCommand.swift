import Encore
import EncoreCLI
import Foundation

/// `encore import`: reads a ratings file once and writes it as a binary play log, which train,
/// evaluate, tune and encore-mpi then read in a fraction of the time and memory.
enum ImportCommand: Command {
    static let name = "import"
    static let summary = "convert a ratings file to a binary play log (.encore-data)"
    static let usage = """
    Usage: encore import FILE --output LOG [data options] [--quiet]

    Reads user–item plays from FILE (any format train reads, with the same data flags), sums
    repeated (user, item) rows and writes LOG atomically: the interned user and item IDs, item
    names where the data set has them, and the play matrix in both orientations (users × items
    and items × users), each section checksummed (docs/data-formats.md). Every command that
    takes a ratings file takes LOG in its place and knows it by its first bytes. Timestamps are
    not kept. Progress goes to stderr; the last stdout line is one JSON object with users,
    items, rows, plays, bytes, read_seconds and write_seconds.

    \(DataOptions.help)
    """

    static func run(_ arguments: CommandLineArguments) throws {
        guard let output = try arguments.value("--output") else { throw UsageError("--output LOG is required") }
        GlibcMalloc.fixMmapThreshold()  // before the play log is read: its peak (GlibcMalloc)
        let quiet = try arguments.flag("--quiet")
        let data = try DataOptions(arguments)
        let file = try arguments.positionals(["FILE"])[0]
        try OutputPath.refuseOverwritingInputs(output, inputs: data.inputs(file))
        var probe = try AtomicFileWriter(path: output)
        probe.abandon()

        let readStart = now()
        let log = try data.loadPlayLog(file, quiet: quiet)
        let readSeconds = secondsSince(readStart)
        let plays = log.userItems.nonZeroCount
        if !quiet {
            Console.err("read \(log.sourceRows) rows: \(log.userIDs.count) users × \(log.itemIDs.count) items, \(plays) plays in \(Console.seconds(readSeconds)); \(PeakMemory.summary(plays: plays))")
        }
        let writeStart = now()
        try PlayLogFile.write(log, to: output)
        let writeSeconds = secondsSince(writeStart)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        if !quiet { Console.err("wrote \(output) (\(bytes) bytes) in \(Console.seconds(writeSeconds)); \(PeakMemory.summary(plays: plays))") }
        var json = JSONLine()
        json.add("log", output)
        json.add("users", log.userIDs.count)
        json.add("items", log.itemIDs.count)
        json.add("rows", log.sourceRows)
        json.add("plays", plays)
        json.add("bytes", bytes)
        json.add("read_seconds", readSeconds)
        json.add("write_seconds", writeSeconds)
        Console.out(json.text)
    }
}
