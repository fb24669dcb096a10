import Foundation
import HACore
import Testing

/// `Subprocess.Command`: stdin, bounded output, process-group kill on timeout, async cancellation.
/// Scripts run as `/bin/sh -c ...` (never exec'ed from a file this process wrote: ETXTBSY).
@Suite("Subprocess.Command")
struct SubprocessCommandTests {
    private static func scratch(_ name: String) -> String {
        NSTemporaryDirectory() + "hactl-cmd-\(name)-\(UUID().uuidString)"
    }

    private static func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Polls (bounded, 10 s) for a file holding a pid.
    private static func pid(in path: String) async -> pid_t? {
        for _ in 0..<1000 {
            if let pid = pid_t(contents(path).trimmingCharacters(in: .whitespacesAndNewlines)) { return pid }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// The fence-agent shape: options, the password among them, on stdin; neither argv nor the
    /// environment of the running child holds the secret (read from its own /proc entries).
    @Test func stdinCarriesTheSecretNotArgvOrEnvironment() async throws {
        let secret = "bmc-\(UUID().uuidString)"
        let input = try #require(Subprocess.Command.keyValueLines([
            (key: "action", value: "status"), (key: "ip", value: "192.0.2.10"), (key: "password", value: secret),
        ]))
        let proc = Self.scratch("proc")
        defer { unlink(proc) }
        let script = "cat; tr '\\0' ' ' < /proc/$$/cmdline > \(proc); tr '\\0' ' ' < /proc/$$/environ >> \(proc)"
        let out = try await Subprocess.run(Subprocess.Command(["/bin/sh", "-c", script], input: input))
        #expect(out.status == 0)
        #expect(out.stdout == "action=status\nip=192.0.2.10\npassword=\(secret)\n")
        let seen = Self.contents(proc)
        #expect(seen.contains("/bin/sh"), "the child read its own cmdline: \(seen)")
        #expect(!seen.contains(secret))
    }

    @Test func keyValueLinesRefuseValuesThatWouldAddOptions() {
        #expect(Subprocess.Command.keyValueLines([(key: "password", value: "x\naction=off")]) == nil)
        #expect(Subprocess.Command.keyValueLines([(key: "a=b", value: "x")]) == nil)
        #expect(Subprocess.Command.keyValueLines([(key: "", value: "x")]) == nil)
        #expect(Subprocess.Command.keyValueLines([(key: "password", value: "p=q w")]) == Array("password=p=q w\n".utf8))
    }

    /// The blocking form, for callers on a thread of their own.
    @Test func blockingRunFeedsStdinAndCapturesBothStreams() throws {
        let out = try Subprocess.run(Subprocess.Command(["/bin/sh", "-c", "read -r x; echo \"got $x\"; echo err >&2; exit 4"],
                                                        input: Array("hello\n".utf8)))
        #expect(out.status == 4)
        #expect(out.stdout == "got hello\n")
        #expect(out.stderr == "err\n")
        #expect(!out.stdoutTruncated && !out.stderrTruncated)
    }

    /// A child that never reads its stdin and exits: writing the rest fails with EPIPE, not SIGPIPE.
    @Test func childIgnoringALargeStdinIsNoProblem() async throws {
        let input = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let out = try await Subprocess.run(Subprocess.Command(["/bin/sh", "-c", "exit 0"], input: input))
        #expect(out.status == 0)
    }

    /// Output past the limit is read and dropped; the child is never blocked on a full pipe.
    @Test func outputIsBounded() async throws {
        let script = "head -c 3000000 /dev/zero | tr '\\0' a; head -c 500000 /dev/zero | tr '\\0' b >&2; echo tail"
        let out = try await Subprocess.run(Subprocess.Command(["/bin/sh", "-c", script], outputLimit: 1000))
        #expect(out.status == 0)
        #expect(out.stdout == String(repeating: "a", count: 1000))
        #expect(out.stdoutTruncated)
        #expect(out.stderr == String(repeating: "b", count: 1000))
        #expect(out.stderrTruncated)
    }

    /// A timeout kills the child's whole process group: its background grandchild dies too.
    @Test func timeoutKillsTheProcessGroup() async throws {
        let grandchildFile = Self.scratch("gc")
        defer { unlink(grandchildFile) }
        let start = ContinuousClock.now
        await #expect {
            _ = try await Subprocess.run(Subprocess.Command(
                ["/bin/sh", "-c", "sleep 30 & echo $! > \(grandchildFile); wait"], timeout: .milliseconds(300)))
        } throws: { error in
            guard case .timedOut = error as? SubprocessError else { return false }
            return true
        }
        #expect(ContinuousClock.now - start < .seconds(20), "a 300 ms timeout ends a 30 s sleep well before")
        let grandchild = try #require(await Self.pid(in: grandchildFile))
        #expect(ProcessProbe.waitUntilGone(grandchild, within: .seconds(10)), "grandchild \(grandchild) still runs")
    }

    /// Cancelling the waiting task kills the group and reaps the child: no zombie is left behind
    /// (waitpid on it reports ECHILD), and the run throws `.cancelled`.
    @Test func cancellationKillsAndReaps() async throws {
        let childFile = Self.scratch("child"), grandchildFile = Self.scratch("gc")
        defer { unlink(childFile); unlink(grandchildFile) }
        let task = Task {
            try await Subprocess.run(Subprocess.Command(
                ["/bin/sh", "-c", "echo $$ > \(childFile); sleep 30 & echo $! > \(grandchildFile); wait"]))
        }
        let child = try #require(await Self.pid(in: childFile))
        let grandchild = try #require(await Self.pid(in: grandchildFile))
        let start = ContinuousClock.now
        task.cancel()
        let result = await task.result
        #expect(ContinuousClock.now - start < .seconds(20))
        switch result {
        case .failure(let error as SubprocessError):
            guard case .cancelled = error else { Issue.record("expected .cancelled, got \(error)"); break }
        default:
            Issue.record("expected .cancelled, got \(result)")
        }
        var status: Int32 = 0
        #expect(waitpid(child, &status, WNOHANG) == -1 && errno == ECHILD, "child \(child) was reaped")
        #expect(ProcessProbe.waitUntilGone(grandchild, within: .seconds(10)), "grandchild \(grandchild) still runs")
    }

    /// A task cancelled before it calls run starts nothing.
    @Test func alreadyCancelledTaskStartsNothing() async throws {
        let marker = Self.scratch("marker")
        defer { unlink(marker) }
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await Subprocess.run(Subprocess.Command(["/bin/sh", "-c", "touch \(marker)"]))
        }
        let result = await task.result
        guard case .failure(let error as SubprocessError) = result, case .cancelled = error else {
            Issue.record("expected .cancelled, got \(result)")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// A background grandchild that keeps stdout open does not hold the run past the child's exit.
    @Test func exitIsNotHeldByAGrandchildKeepingStdoutOpen() async throws {
        let grandchildFile = Self.scratch("gc")
        defer { unlink(grandchildFile) }
        let start = ContinuousClock.now
        let out = try await Subprocess.run(Subprocess.Command(
            ["/bin/sh", "-c", "sleep 30 & echo $! > \(grandchildFile); echo done"]))
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(out.stdout == "done\n")
        if let grandchild = await Self.pid(in: grandchildFile) { kill(grandchild, SIGKILL) }
    }

    /// Concurrent runs each get their own stdin and output.
    @Test func concurrentRunsKeepTheirStreamsApart() async throws {
        let outputs = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<12 {
                group.addTask {
                    let out = try await Subprocess.run(Subprocess.Command(["/bin/sh", "-c", "read -r x; echo \"$x$x\""],
                                                                          input: Array("\(index)\n".utf8)))
                    return (index, out.stdout)
                }
            }
            var all: [Int: String] = [:]
            for try await (index, text) in group { all[index] = text }
            return all
        }
        #expect(outputs.count == 12)
        for (index, text) in outputs { #expect(text == "\(index)\(index)\n") }
    }

    @Test func missingProgramIsASpawnError() async {
        await #expect {
            _ = try await Subprocess.run(Subprocess.Command(["/nonexistent/hactl-none"]))
        } throws: { error in
            guard case .spawn = error as? SubprocessError else { return false }
            return true
        }
    }
}

@Suite("Syscall")
struct SyscallTests {
    @Test func failureCarriesTheCallAndErrno() {
        var byte: UInt8 = 0
        #expect(throws: SystemCallError(call: "read(-1)", errno: EBADF)) {
            try Syscall.retryingOnEINTR("read(-1)") { read(-1, &byte, 1) }
        }
    }

    @Test func readToEndStopsAtTheLimit() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let text = Array("0123456789".utf8)
        #expect(write(ends[1], text, text.count) == text.count)
        close(ends[1])
        let (bytes, truncated) = try Syscall.readToEnd(ends[0], call: "read", limit: 4)
        #expect(bytes == Array("0123".utf8))
        #expect(truncated)
    }

    @Test func readToEndReadsEverything() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let text = Array("hello".utf8)
        #expect(write(ends[1], text, text.count) == text.count)
        close(ends[1])
        let (bytes, truncated) = try Syscall.readToEnd(ends[0], call: "read")
        #expect(bytes == text)
        #expect(!truncated)
    }
}
