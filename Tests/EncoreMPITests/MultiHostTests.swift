import Encore
import Foundation
import XCTest

/// `encore-mpi` across hosts made on this machine as network namespaces (scripts/netns-hosts):
/// each process on a host of its own, Open MPI's TCP transport between them over virtual
/// Ethernet, daemons started by a launcher that enters each namespace. Runs as root only (CI does).
final class MultiHostTests: XCTestCase {
    /// `count` fresh hosts, deleted when the test ends, however it ends.
    private func makeHosts(_ count: Int) throws -> NamespaceHosts {
        let hosts = try NamespaceHosts(count: count)
        addTeardownBlock { hosts.remove() }
        return hosts
    }

    private var encoreMPI: String { MPISupport.binaryDirectory.appendingPathComponent("encore-mpi").path }

    func testAJobAcrossTwoNamespacesEqualsTheOneProcessModel() throws {
        let hosts = try makeHosts(2)
        let directory = try temporaryDirectory()
        // Each rank is in its own namespace, seeing only its host's address: not one host twice.
        let whereabouts = try hosts.mpirun(on: [0, 1], ["/bin/sh", "-c", "echo rank $OMPI_COMM_WORLD_RANK at $(ip -4 -o addr show dev eth0 | awk '{print $4}')"], in: directory)
        XCTAssertEqual(whereabouts.status, 0, whereabouts.stderr)
        XCTAssertEqual(Set(whereabouts.stdout.split(separator: "\n").map(String.init)),
                       ["rank 0 at \(hosts.addresses[0])/24", "rank 1 at \(hosts.addresses[1])/24"], whereabouts.stderr)

        let data = try writePlayLog(in: directory)
        // The exact solver with the default strategy, and CG with the one that ships normal
        // equations: the tolerances of DistributedTrainingTests for the same runs on one host.
        for (solver, strategy, tolerance) in [("cholesky", "half-gridify", Float(1e-4)), ("cg", "full-gridify", Float(2e-3))] {
            let flags = ["--factors", "6", "--iterations", "6", "--seed", "11", "--solver", solver, "--cg-steps", "4", "--quiet"]
            let reference = directory.appendingPathComponent("single-\(solver).model").path
            let single = try MPISupport.encore(["train", data, "--output", reference] + flags)
            XCTAssertEqual(single.status, 0, single.stderr)
            let output = directory.appendingPathComponent("hosts-\(solver).model").path
            let run = try hosts.mpirun(on: [0, 1], [encoreMPI, "train", data, "--output", output, "--strategy", strategy, "--threads", "1"] + flags, in: directory)
            XCTAssertEqual(run.status, 0, "\(solver), \(strategy): \(run.stderr)")
            let facts = try summary(run)
            XCTAssertEqual(facts["processes"] as? Int, 2)
            // The factors the other host's rows need went over the veth pair.
            XCTAssertGreaterThan(try XCTUnwrap(facts["bytes_per_iteration"] as? Int), 0)
            try assertSameModel(output, reference, tolerance: tolerance, "two namespaces, \(solver), \(strategy)")
        }
    }

    func testAHostKilledMidJobEndsTheJobAndTheRemainingHostsResumeToTheSameModel() throws {
        let hosts = try makeHosts(3)
        let directory = try temporaryDirectory()
        // ~0.2 s an iteration here: long enough for the kill to land mid-job, short for a test.
        let data = directory.appendingPathComponent("synth.tsv").path
        let synth = try MPISupport.encore(["synth", "--users", "4000", "--items", "2000", "--mean-per-user", "30", "--seed", "3", "--output", data])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        let model = ["--factors", "16", "--iterations", "10", "--seed", "4", "--solver", "cholesky"]
        let checkpoints = directory.appendingPathComponent("checkpoints")
        let flags = model + ["--checkpoint-dir", checkpoints.path, "--checkpoint-every", "2", "--threads", "1"]
        let output = directory.appendingPathComponent("resumed.model").path

        // Host 2 is lost as soon as the first checkpoint is on disk (written atomically by rank 0).
        let killer = try killHost(2, of: hosts, whenExists: checkpoints.appendingPathComponent("checkpoint.encore").path)
        let killed = try hosts.mpirun(on: [0, 1, 2], [encoreMPI, "train", data, "--output", output] + flags, in: directory)
        if killer.isRunning { killer.terminate() }
        killer.waitUntilExit()
        XCTAssertEqual(killer.terminationStatus, 0, "the kill never happened: no checkpoint appeared during the job")
        XCTAssertNotEqual(killed.status, 0, "the job went on without host 2: \(killed.stderr)")
        // Open MPI's own words, naming the host that went: encore-mpi's processes get no say.
        // The daemon's loss is what it reports; should the daemon outlive its rank by the moment
        // it takes to tell mpirun, the rank's death on that node is reported instead.
        XCTAssertTrue(killed.stderr.contains("ORTE has lost communication with a remote daemon") || killed.stderr.contains("exited on signal 9"), killed.stderr)
        XCTAssertTrue(killed.stderr.contains("on node \(hosts.addresses[2])"), killed.stderr)
        XCTAssertFalse(killed.stderr.contains("iteration 10/10"), "the job ran to the end before the kill: \(killed.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "a failed job writes no model")
        try assertNothingLeftRunning(on: [0, 1], of: hosts)

        // The two hosts left, two processes instead of three, from the same checkpoint.
        let resumed = try hosts.mpirun(on: [0, 1], [encoreMPI, "train", data, "--output", output] + flags, in: directory)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let resumedFrom = try XCTUnwrap(summary(resumed)["resumed_from"] as? Int, resumed.stdout)
        XCTAssertTrue([2, 4, 6, 8].contains(resumedFrom), "resumed from iteration \(resumedFrom)")
        XCTAssertTrue(resumed.stderr.contains("resumed from the checkpoint after iteration \(resumedFrom)"), resumed.stderr)
        XCTAssertEqual(try ModelFile.read(from: output).summary.lossHistory.count, 10)

        let reference = directory.appendingPathComponent("single.model").path
        let single = try MPISupport.encore(["train", data, "--output", reference, "--quiet"] + model)
        XCTAssertEqual(single.status, 0, single.stderr)
        try assertSameModel(output, reference, tolerance: 1e-4, "three hosts, one killed, resumed on two vs one process")
    }

    /// Starts a watcher that SIGKILLs every process of host `index` once `path` exists, as a
    /// machine dies: its exit status is 0 once it has killed, 1 if `path` never came (60 s).
    private func killHost(_ index: Int, of hosts: NamespaceHosts, whenExists path: String) throws -> Process {
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        watcher.arguments = ["-c", "for i in $(seq 3000); do if [ -e \"$1\" ]; then exec \"$2\" kill \"$3\" \"$4\"; fi; sleep 0.02; done; exit 1",
                             "watcher", path, NamespaceHosts.script, hosts.tag, "\(index)"]
        watcher.standardInput = FileHandle.nullDevice
        try watcher.run()
        addTeardownBlock { if watcher.isRunning { watcher.terminate() } }
        return watcher
    }

    /// The failed job took its processes on the other hosts with it (within 10 s): no orphans
    /// waiting for a peer that is gone.
    private func assertNothingLeftRunning(on indices: [Int], of hosts: NamespaceHosts) throws {
        let deadline = Date().addingTimeInterval(10)
        var left: [String] = []
        repeat {
            left = try indices.flatMap { try hosts.processes($0) }
            if left.isEmpty { return }
            usleep(100_000)
        } while Date() < deadline
        XCTFail("processes still running on the surviving hosts after the job failed: \(left)")
    }
}
