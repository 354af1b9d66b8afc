import Encore
import EncoreCLI
import Foundation

// OpenBLAS's kernel set is settled at the first BLAS call, which sets OPENBLAS_CORETYPE for a
// moment when it reloads the set (BLASKernelChoice); made here, while this is the only thread,
// no other thread can read the environment meanwhile.
BLAS.ensureSingleThreaded()

/// Every subcommand, in the order `encore help` lists them.
let commands: [any Command.Type] = [
    DemoCommand.self,
    TrainCommand.self,
    ImportCommand.self,
    RecommendCommand.self,
    SimilarCommand.self,
    SimilarUsersCommand.self,
    RadioCommand.self,
    ExplainCommand.self,
    RecommendAllCommand.self,
    RecommendItemsCommand.self,
    EvaluateCommand.self,
    TuneCommand.self,
    IndexCommand.self,
    VerifyCommand.self,
    ServeCommand.self,
    SynthCommand.self,
]

/// Finds the subcommand called `name`.
func findCommand(_ name: String) -> (any Command.Type)? {
    for command in commands where command.name == name { return command }
    return nil
}

/// Prints the list of commands.
func printOverview() {
    Console.out("encore — implicit-feedback recommendations (implicit ALS, Spark-compatible)\n")
    Console.out("Usage: encore COMMAND [options]     (encore COMMAND --help for details)\n")
    Console.out("Commands:")
    let width = commands.map { $0.name.count }.max() ?? 0
    for command in commands {
        Console.out("  \(command.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(command.summary)")
    }
}

/// Runs the command line and returns the exit status: 0 success, 1 failure, 2 bad usage.
func runMain(_ argv: [String]) -> Int32 {
    if argv.isEmpty || ["help", "--help", "-h"].contains(argv[0]) {
        if argv.count >= 2, let command = findCommand(argv[1]) { Console.out(command.usage) } else { printOverview() }
        return 0
    }
    if argv[0] == "--version" {
        Console.out("encore \(EncoreLibrary.version) (vector kernels: \(VectorKernels.instructionSet))")
        // The first line's form is parsed by scripts; what the program runs on follows it.
        let machine = Machine.current
        Console.out("cpu: \(machine.cpu)\n\(machine.blasLine)")
        return 0
    }
    guard let command = findCommand(argv[0]) else {
        Console.err("encore: unknown command '\(argv[0])'. Commands: \(commands.map { $0.name }.joined(separator: ", "))")
        return 2
    }
    let arguments = CommandLineArguments(command: command.name, Array(argv.dropFirst()))
    if arguments.wantsHelp() {
        Console.out(command.usage)
        return 0
    }
    do {
        try command.run(arguments)
        return 0
    } catch let error as UsageError {
        Console.err("encore \(command.name): \(error.description)")
        return 2
    } catch let EncoreError.invalidParameter(name, value, requirement) {
        // The library names its parameters (`length`); here the user typed flags (`--length`).
        Console.err("encore \(command.name): \(ParameterFlags.flag(for: name)) must \(requirement) (got \(value))")
        return 2
    } catch let error as EncoreError {
        Console.err("encore \(command.name): error: \(error.description)")
        return 1
    } catch {
        Console.err("encore \(command.name): error: \(error.localizedDescription)")
        return 1
    }
}

exit(runMain(Array(CommandLine.arguments.dropFirst())))
