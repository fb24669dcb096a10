import Foundation
import HACore
import Logging
import Synchronization
import Testing
@testable import VIPManager

/// Issue 11: notify commands run SCHED_OTHER in a process group of their own, killed whole on timeout.
@Suite("VIP notify command hardening")
struct NotifyRunnerHardeningTests {
    func script(_ body: String) throws -> (path: String, out: String) { try NotifyScript.make(body) }

    /// Polls (bounded) for a file's complete content (the script writes it, then `DONE`).
    func waitForContent(_ path: String, within limit: Duration = .seconds(20)) -> String {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if text.contains("DONE") { return text }
            usleep(10_000)
        }
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    static func gone(_ pid: pid_t) -> Bool {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state == "Z" || state == "X"
    }

    @Test func aTimedOutCommandIsKilledWithItsBackgroundChildren() throws {
        let (path, out) = try script("sleep 100 &\necho $! > OUT.bg\necho $$ > OUT; echo DONE >> OUT\nsleep 100")
        NotifyRunner.run(command: path, arguments: [], timeout: .seconds(2), logger: Logger(label: "t"))
        let text = waitForContent(out)
        let script = try #require(pid_t(text.split(separator: "\n").first ?? ""))
        let background = try #require(pid_t(((try? String(contentsOfFile: out + ".bg", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(getpgid(script) == script || Self.gone(script), "the script leads its own process group")
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline && !(Self.gone(script) && Self.gone(background)) { usleep(10_000) }
        #expect(Self.gone(script))
        #expect(Self.gone(background), "the script's background child \(background) dies with its group")
    }

    /// The engine calls NotifyRunner from its SCHED_RR thread; the command must not inherit that.
    @Test(.enabled(if: getuid() == 0, "SCHED_RR needs root"))
    func aCommandStartedFromTheRealtimeThreadRunsSchedOther() throws {
        let (path, out) = try script("chrt -p $$ > OUT; echo DONE >> OUT")
        let rc = Mutex<Int32>(-1)
        let started = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var param = sched_param()
            param.sched_priority = RealtimeScheduling.priority
            rc.withLock { $0 = pthread_setschedparam(pthread_self(), SCHED_RR, &param) }
            NotifyRunner.run(command: path, arguments: [], timeout: .seconds(20), logger: Logger(label: "t"))
            started.signal()
        }
        #expect(started.wait(timeout: .now() + 20) == .success)
        #expect(rc.withLock { $0 } == 0)
        let text = waitForContent(out)
        #expect(text.contains("scheduling policy: SCHED_OTHER"), "\(text)")
    }
}
