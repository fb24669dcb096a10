import Dispatch
import HACore
import Synchronization
import Testing

/// The thread behind the probes' workers: jobs in order on the thread's own state, retire drops
/// what is queued, finish then onExit run last, on that thread.
@Suite("MailboxThread")
struct MailboxThreadTests {
    final class Log: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
    }

    struct Recorder: MailboxHandler {
        typealias Job = @Sendable () -> String
        let log: Log
        var count = 0
        mutating func handle(_ job: Job, retired: () -> Bool) {
            count += 1
            log.add("\(count):\(job())")
        }
        mutating func finish() { log.add("finish after \(count)") }
    }

    @Test func runsJobsInOrderThenFinishesAndExits() async {
        let log = Log()
        let exited = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        let thread = MailboxThread<Recorder.Job>(name: "hactl-test", makeHandler: { Recorder(log: log) },
                                                 onExit: { log.add("exit"); exited.signal() })
        thread.submit { "a" }
        thread.submit { holding.signal(); gate.wait(); return "b" }   // holds the thread while more is queued
        thread.submit { "dropped" }
        #expect(holding.wait(timeout: .now() + 5) == .success)
        thread.retire()
        thread.retire()
        gate.signal()
        #expect(exited.wait(timeout: .now() + 5) == .success)
        #expect(log.lines.withLock { $0 } == ["1:a", "2:b", "finish after 2", "exit"])
        thread.submit { "after retire" }
        #expect(thread.isRetired)
    }
}
