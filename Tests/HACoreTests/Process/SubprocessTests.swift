import Foundation
import HACore
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
}
