import Foundation
import HACore
import Synchronization
import Testing

@Suite("Subprocess")
struct SubprocessTests {
    @Test func capturesOutputAndExitCode() throws {
        let out = try Subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(out.status == 3)
        #expect(out.stdout == "out\n")
        #expect(out.stderr == "err\n")
    }

    @Test func environmentIsPassed() throws {
        let out = try Subprocess.run(["sh", "-c", "printf %s \"$HACTL_X\""], environment: ["HACTL_X": "42", "PATH": "/usr/bin:/bin"])
        #expect(out.stdout == "42")
    }

    @Test func timeoutKillsTheChild() throws {
        let start = ContinuousClock.now
        #expect(throws: SubprocessError.self) { try Subprocess.run(["sleep", "10"], timeout: .milliseconds(200)) }
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func missingCommandIsAnError() {
        #expect(throws: SubprocessError.self) { try Subprocess.spawn(["/nonexistent/hactl-none"]) }
    }

    /// The parent blocks SIGTERM (as the agent's threads do); the child must still die of it.
    @Test func childStartsWithAnEmptySignalMask() throws {
        var blocked = sigset_t(), old = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &blocked, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        let pid = try Subprocess.spawn(["sleep", "10"])
        usleep(50_000)
        kill(pid, SIGTERM)
        #expect(Subprocess.wait(pid, timeout: .seconds(2)) == 128 + SIGTERM)
    }

    /// The VRRP engine's thread runs SCHED_RR; a child must not inherit it (a busy script would
    /// starve everything else on the machine). Setting SCHED_RR needs root.
    @Test(.enabled(if: getuid() == 0, "SCHED_RR needs root"))
    func childOfARealtimeThreadRunsSchedOther() throws {
        let result = Mutex<(rc: Int32, policy: String)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var param = sched_param()
            param.sched_priority = 10
            let rc = pthread_setschedparam(pthread_self(), SCHED_RR, &param)
            let out = try? Subprocess.run(["sh", "-c", "chrt -p $$; grep -E '^policy' /proc/$$/sched"], timeout: .seconds(20))
            result.withLock { $0 = (rc, out?.stdout ?? "") }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        let (rc, policy) = try #require(result.withLock { $0 })
        #expect(rc == 0, "the test thread itself runs SCHED_RR")
        #expect(policy.contains("scheduling policy: SCHED_OTHER"), "\(policy)")
        if FileManager.default.fileExists(atPath: "/proc/self/sched") {   // CONFIG_SCHED_DEBUG kernels
            #expect(policy.range(of: #"policy\s+:\s+0\b"#, options: .regularExpression) != nil, "\(policy)")
        }
    }

    /// A script that started a background child: the timeout kills the whole process group.
    @Test func timeoutKillsTheChildsProcessGroup() throws {
        let out = NSTemporaryDirectory() + "hactl-sub-group-\(UUID().uuidString)"
        defer { unlink(out) }
        let start = ContinuousClock.now
        #expect(throws: SubprocessError.self) {
            try Subprocess.run(["sh", "-c", "sleep 100 & echo $! > \(out); sleep 100"], timeout: .seconds(3),
                               ownProcessGroup: true)
        }
        #expect(ContinuousClock.now - start < .seconds(15))
        let grandchild = try #require(pid_t(((try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(ProcessProbe.waitUntilGone(grandchild, within: .seconds(10)), "grandchild \(grandchild) still runs")
    }

    /// With its own group, the child's pid is its process group id (killing -pid reaches its children).
    @Test func ownProcessGroupMakesTheChildAGroupLeader() throws {
        let pid = try Subprocess.spawn(["sleep", "10"], ownProcessGroup: true)
        let group = getpgid(pid)
        kill(pid, SIGKILL)
        _ = Subprocess.wait(pid)
        #expect(group == pid)
        let plain = try Subprocess.spawn(["sleep", "10"])
        let inherited = getpgid(plain)
        kill(plain, SIGKILL)
        _ = Subprocess.wait(plain)
        #expect(inherited == getpgrp(), "without it, API-compatible default: the caller's group")
    }
}

/// Whether a process is gone: no such pid, or a zombie (its parent, init, has not reaped it yet).
enum ProcessProbe {
    static func isGone(_ pid: pid_t) -> Bool {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state == "Z" || state == "X"
    }

    /// Polls (bounded) until `pid` is gone.
    static func waitUntilGone(_ pid: pid_t, within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if isGone(pid) { return true }
            usleep(10_000)
        }
        return isGone(pid)
    }
}
