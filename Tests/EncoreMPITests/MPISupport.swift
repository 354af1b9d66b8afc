import Foundation
import XCTest

/// Runs the real binaries: `encore` for the single-process reference, `mpirun … encore-mpi` for
/// the distributed trainer.
enum MPISupport {
    /// The package root.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder `swift test` built the binaries in.
    static var binaryDirectory: URL {
        // On Linux the test bundle is the build folder itself; without it first, a build into
        // another scratch path (scripts/sanitize) ran the binaries of .build/debug, or none.
        let candidates = [
            Bundle.main.bundleURL,
            Bundle(for: Marker.self).bundleURL,
            Bundle(for: Marker.self).bundleURL.deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("encore-mpi").path) } ?? candidates.last!
    }

    /// What one run produced.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` with `arguments`, killing it after `timeout` seconds (a hang is a failure).
    static func run(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:], timeout: TimeInterval = 300) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        // Open MPI refuses to run as root without these; oversubscribe lets 3 processes share 2 cores.
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
        environment.merge(extra) { $1 }
        process.environment = environment
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-mpi-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        // A file that cannot be made shows up as FileHandle(forWritingTo:)'s error just below.
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            // mpirun has been seen to outlive SIGTERM with its ranks gone: SIGKILL after 10 s, so
            // a hang fails this test instead of stalling the suite.
            let killDeadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < killDeadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            XCTFail("\(executable) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: try String(contentsOf: outURL, encoding: .utf8), stderr: try String(contentsOf: errURL, encoding: .utf8))
    }

    /// Checks that a job refused its input: exit status 1 from `MPI_Abort`. Debian 12's mpirun
    /// (Open MPI 4.1.4) sometimes crashes in its own PMIx finalize after relaying an abort
    /// (SIGSEGV in `PMIx_server_finalize`, about 1 run in 8 under load, seen under ThreadSanitizer
    /// and standalone); that crash, after the abort, counts as the same refusal, any other does not.
    static func assertRefused(_ run: Run, file: StaticString = #filePath, line: UInt = #line) {
        let launcherCrashedAfterAbort = run.status == 11 && run.stderr.contains("MPI_ABORT was invoked")
            && run.stderr.contains("PMIx_server_finalize")
        XCTAssertTrue(run.status == 1 || launcherCrashedAfterAbort, "exit status \(run.status): \(run.stderr)", file: file, line: line)
    }

    /// `encore ARGUMENTS`.
    static func encore(_ arguments: [String]) throws -> Run {
        try run(binaryDirectory.appendingPathComponent("encore").path, arguments)
    }

    /// `mpirun -np PROCESSES encore-mpi ARGUMENTS`.
    static func mpi(_ processes: Int, _ arguments: [String]) throws -> Run {
        try run("/usr/bin/mpirun", ["-np", "\(processes)", "--oversubscribe", binaryDirectory.appendingPathComponent("encore-mpi").path] + arguments,
                environment: mpiEnvironment)
    }

    /// What `mpirun` runs with beyond this process's environment.
    static var mpiEnvironment: [String: String] {
        // Under AddressSanitizer (scripts/sanitize address) the MPI processes are checked for bad
        // accesses but not for leaks: Open MPI keeps ~120 KB of its own state to exit in ~3,350
        // allocations, most made in components it has unloaded by then, whose frames LeakSanitizer
        // can only print as "<unknown module>", so no suppression can name them. Encore's code in
        // those processes is leak-checked where `encore` runs it.
        var environment: [String: String] = [:]
        if ProcessInfo.processInfo.environment["ENCORE_SANITIZE"] == "address" {
            environment["ASAN_OPTIONS"] = (ProcessInfo.processInfo.environment["ASAN_OPTIONS"] ?? "") + " detect_leaks=0"
        }
        return environment
    }

    private final class Marker {}
}
