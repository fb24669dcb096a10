import HACore
import Logging
import Synchronization
import Testing

/// The module probes' loop: the deadline rule, one publish per interval, and that a timeout does
/// not move the deadline's reference. Manual clock, scripted probe, no sleeping.
@Suite("ProbeLoop")
struct ProbeLoopTests {
    @Test("the deadline: timeout after the last answer, at least timeout / 2 after the start")
    func deadlineRule() {
        let t = MonotonicInstant(nanoseconds: 10_000_000_000)
        #expect(ProbeLoop.deadline(start: t, lastAnswered: nil, timeout: .seconds(2)) == t + .seconds(2))
        #expect(ProbeLoop.deadline(start: t, lastAnswered: t - .seconds(1), timeout: .seconds(2)) == t + .seconds(1))
        #expect(ProbeLoop.deadline(start: t, lastAnswered: t - .seconds(5), timeout: .seconds(2)) == t + .seconds(1))
        #expect(ProbeLoop.deadline(start: t, lastAnswered: t, timeout: .seconds(2)) == t + .seconds(2))
    }

    @Test("each probe gets the deadline of the rule; results are published; a timeout keeps the reference")
    func loopPassesDeadlines() async {
        let clock = ManualClock(now: MonotonicInstant(nanoseconds: 1_000_000_000_000))
        let start = clock.now
        let board = HealthBoard()
        let seen = Mutex<[MonotonicInstant]>([])
        let loop = ProbeLoop(name: "thing", interval: .seconds(1), timeout: .seconds(2))
        let results: [String] = ["ok", "probe timeout after 2s", "probe timeout after 2s", "ok"]
        let running = Task {
            await loop.run(board: board, clock: clock, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })) { deadline in
                let n = seen.withLock { $0.append(deadline); return $0.count }
                let reason = results[min(n, results.count) - 1]
                return reason == "ok" ? .passing(at: clock.now) : .timeout(after: .seconds(2), at: clock.now)
            }
        }
        for step in 1...3 {
            #expect(await clock.waitForDeadlines([start + .seconds(step)]))
            clock.advance(by: .seconds(1))
        }
        #expect(await HealthTesting.eventually { seen.withLock { $0.count } >= 4 }, "the fourth probe ran")
        running.cancel()
        await running.value
        // Probe 1 answered at start: probes 2 and 3 (timeouts) count from it, floored at timeout / 2;
        // probe 4 still counts from probe 1's start.
        #expect(seen.withLock { $0 } == [start + .seconds(2), start + .seconds(2), start + .seconds(3), start + .seconds(4)])
        #expect(board.read("thing", now: clock.now)?.status == .passing)
    }

    @Test("only a typed timeout keeps the reference: a refusal whose text reads 'probe timeout' moves it")
    func typedTimeoutOnly() async {
        let clock = ManualClock(now: MonotonicInstant(nanoseconds: 1_000_000_000_000))
        let start = clock.now
        let seen = Mutex<[MonotonicInstant]>([])
        let loop = ProbeLoop(name: "thing", interval: .seconds(1), timeout: .seconds(4))
        let running = Task {
            await loop.run(board: HealthBoard(), clock: clock, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })) { deadline in
                seen.withLock { $0.append(deadline) }
                return .critical("probe timeout after 2s (text only)", at: clock.now)
            }
        }
        for step in 1...2 {
            #expect(await clock.waitForDeadlines([start + .seconds(step)]))
            clock.advance(by: .seconds(1))
        }
        #expect(await HealthTesting.eventually { seen.withLock { $0.count } >= 3 }, "the third probe ran")
        running.cancel()
        await running.value
        // Each (untyped) result counts as answered and moves the reference to its start, so probe 3
        // (at +2 s) counts from probe 2 (+1 s): +5 s. Typed timeouts would have kept it at +4 s.
        #expect(Array(seen.withLock { $0 }.prefix(3)) == [start + .seconds(4), start + .seconds(4), start + .seconds(5)])
    }
}
