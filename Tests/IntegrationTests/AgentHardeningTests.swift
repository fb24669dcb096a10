import Foundation
import HACore
import Testing

/// Issue 11: the agent makes itself non-dumpable at start (`PR_SET_DUMPABLE 0`), so a user with the
/// agent's uid cannot read the cluster secret through /proc/PID/mem or a core dump. The kernel shows
/// it: a non-dumpable process's /proc/PID files are owned by root, not by the process's uid. Runs
/// the real agent as `nobody` in a network namespace of its own (no lab needed, no port shared).
@Suite("Agent hardening", .serialized)
struct AgentHardeningTests {
    static let nobody: uid_t = 65534

    @Test(.enabled(if: getuid() == 0, "needs root: setpriv, unshare, chown"))
    func aRunningAgentIsNotDumpable() throws {
        let dir = NSTemporaryDirectory() + "hactl-m1-dumpable-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        chmod(dir, 0o755)
        try "dumpable-test-secret-0123456789abcdef0123456789\n".write(toFile: dir + "/cluster.key", atomically: true, encoding: .utf8)
        chmod(dir + "/cluster.key", 0o600)
        chown(dir + "/cluster.key", Self.nobody, Self.nobody)
        try """
            cluster: { name: m1, secret_file: cluster.key, api_port: 9780, agent_check_port: 9781 }
            controllers:
              ctl1: { address: 127.0.0.1 }
              ctl2: { address: 127.0.0.2 }

            """.write(toFile: dir + "/cluster.yaml", atomically: true, encoding: .utf8)
        chmod(dir + "/cluster.yaml", 0o644)
        try FileManager.default.createDirectory(atPath: dir + "/state", withIntermediateDirectories: true)
        chown(dir + "/state", Self.nobody, Self.nobody)

        // unshare and sh exec in place: the pid becomes the agent's.
        let command = "ip link set lo up && exec setpriv --reuid=\(Self.nobody) --regid=\(Self.nobody) --clear-groups "
            + "\(Lab.hactl) agent --config \(dir)/cluster.yaml --node ctl1 --state-dir \(dir)/state"
        let pid = try Subprocess.spawn(["unshare", "-n", "sh", "-c", command], stdout: dir + "/agent.log")
        defer {
            kill(pid, SIGKILL)
            _ = Subprocess.wait(pid, timeout: .seconds(10))
        }

        // Poll (bounded) until the agent runs as nobody and has marked itself non-dumpable.
        var ownerOfMem: uid_t? = nil
        var runsAsNobody = false
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            runsAsNobody = status.contains("Name:\thactl") && status.contains("Uid:\t\(Self.nobody)\t")
            var info = stat()
            if runsAsNobody, stat("/proc/\(pid)/mem", &info) == 0 {
                ownerOfMem = info.st_uid
                if info.st_uid == 0 { break }
            }
            if Subprocess.isExited(pid) { break }
            usleep(20_000)
        }
        let log = (try? String(contentsOfFile: dir + "/agent.log", encoding: .utf8)) ?? ""
        #expect(runsAsNobody, "the agent runs as uid \(Self.nobody): \(log)")
        #expect(ownerOfMem == 0, "/proc/PID/mem of a non-dumpable agent is root's, got \(String(describing: ownerOfMem)): \(log)")
        #expect(!log.contains("cannot make the agent non-dumpable"), "\(log)")
    }
}

extension Subprocess {
    /// Whether `pid` (our child) has exited, without reaping it.
    static func isExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._sigchld.si_pid == pid
    }
}
