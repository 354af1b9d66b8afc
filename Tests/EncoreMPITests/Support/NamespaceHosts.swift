import Foundation
import XCTest

/// Hosts made on this machine by scripts/netns-hosts — network namespaces joined by virtual
/// Ethernet to a bridge in the root namespace — and `mpirun` across them over Open MPI's TCP
/// transport. The test that makes them calls `remove()` in a teardown block, failed or not.
final class NamespaceHosts {
    static let script = MPISupport.packageRoot.appendingPathComponent("scripts/netns-hosts").path
    private static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
    /// Per process, so every set of hosts a test run makes has a tag of its own.
    private static var made = 0

    let tag: String
    /// The hosts' /24, e.g. 10.213.1.0/24: the only network Open MPI is let use.
    let subnet: String
    /// Host I's address; host I is the namespace encore-TAG-I.
    let addresses: [String]

    /// Makes `count` hosts; skips where this machine cannot (not root, no `ip netns`).
    init(count: Int) throws {
        guard getuid() == 0 else { throw XCTSkip("multi-host MPI tests make network namespaces, which only root can") }
        guard let ip = Self.ip, try MPISupport.run(ip, ["netns", "list"], timeout: 30).status == 0 else {
            throw XCTSkip("multi-host MPI tests need `ip netns` (iproute2 with network namespace support)")
        }
        Self.made += 1
        // The PID keeps two test runs at once apart; letters and digits only, ≤ 10 (interface names).
        tag = "p\(getpid() % 10_000_000)n\(Self.made % 10)"
        let up = try MPISupport.run(Self.script, ["up", tag, "\(count)"], timeout: 60)
        let lines = up.stdout.split(separator: "\n").map(String.init)
        guard up.status == 0, lines.count == count + 1 else {
            Self.remove(tag: tag)
            throw EncoreTestFailure("scripts/netns-hosts up \(tag) \(count) failed (status \(up.status)): \(up.stderr)")
        }
        subnet = lines[0]
        addresses = Array(lines.dropFirst())
    }

    /// Kills what still runs in the hosts and deletes them, their links and the bridge.
    func remove() { Self.remove(tag: tag) }

    private static func remove(tag: String) {
        _ = try? MPISupport.run(script, ["down", tag], timeout: 60)
    }

    /// The namespace of host `index`.
    func namespace(_ index: Int) -> String { "encore-\(tag)-\(index)" }

    /// PIDs of the processes running in host `index`.
    func processes(_ index: Int) throws -> [String] {
        try MPISupport.run(Self.ip ?? "ip", ["netns", "pids", namespace(index)], timeout: 30).stdout.split(separator: "\n").map(String.init)
    }

    /// `mpirun` in the root namespace starting one process on each of `hosts` (indices): its
    /// daemons are started by scripts/netns-hosts inside each namespace in place of ssh, and
    /// both Open MPI's own wire-up (oob) and the job's messages (btl) may use only the hosts'
    /// subnet — TCP between namespaces, no shared memory, no other interface.
    func mpirun(on hosts: [Int], _ command: [String], in directory: URL) throws -> MPISupport.Run {
        let hostfile = directory.appendingPathComponent("hosts-\(hosts.map(String.init).joined(separator: "-"))")
        try Data(hosts.map { "\(addresses[$0]) slots=1\n" }.joined().utf8).write(to: hostfile)
        // Open MPI splits the agent at spaces: the package path must have none (it is asserted
        // here rather than left to fail as "no namespace has the address …").
        XCTAssertFalse(Self.script.contains(" "), "the launcher's path may not contain spaces: \(Self.script)")
        return try MPISupport.run("/usr/bin/mpirun", [
            "-np", "\(hosts.count)", "--hostfile", hostfile.path,
            "--mca", "plm_rsh_agent", "\(Self.script) launch",
            // Every daemon is started from mpirun's namespace, not by another daemon.
            "--mca", "plm_rsh_no_tree_spawn", "1",
            "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", subnet, "--mca", "oob_tcp_if_include", subnet,
        ] + command, environment: MPISupport.mpiEnvironment, timeout: 60)
    }
}

/// A set-up step that failed: the test fails with this message rather than skipping.
struct EncoreTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
