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

    /// Runs a loop (interval 1 s) on a manual clock until `probes` probes ran; the deadline each got.
    /// `result(n, now)` answers probe `n` (1-based).
    func deadlines(timeout: Duration, probes: Int, board: HealthBoard = HealthBoard(),
                   result: @escaping @Sendable (Int, MonotonicInstant) -> CheckResult) async -> [MonotonicInstant] {
        let clock = ManualClock(now: Self.start)
        let seen = Mutex<[MonotonicInstant]>([])
        let loop = ProbeLoop(name: "thing", interval: .seconds(1), timeout: timeout)
        let running = Task {
            await loop.run(board: board, clock: clock, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })) { deadline in
                let n = seen.withLock { $0.append(deadline); return $0.count }
                return result(n, clock.now)
            }
        }
        for step in 1..<probes {
            #expect(await clock.waitForDeadlines([Self.start + .seconds(step)]))
            clock.advance(by: .seconds(1))
        }
        #expect(await HealthTesting.eventually { seen.withLock { $0.count } >= probes }, "probe \(probes) ran")
        running.cancel()
        await running.value
        return Array(seen.withLock { $0 }.prefix(probes))
    }

    static let start = MonotonicInstant(nanoseconds: 1_000_000_000_000)

    @Test("each probe gets the deadline of the rule; results are published; a timeout keeps the reference")
    func loopPassesDeadlines() async {
        let board = HealthBoard()
        let seen = await deadlines(timeout: .seconds(2), probes: 4, board: board) { n, now in
            n == 1 || n == 4 ? .passing(at: now) : .timeout(after: .seconds(2), at: now)
        }
        // Probe 1 answered at start: probes 2 and 3 (timeouts) count from it, floored at timeout / 2;
        // probe 4 still counts from probe 1's start.
        let start = Self.start
        #expect(seen == [start + .seconds(2), start + .seconds(2), start + .seconds(3), start + .seconds(4)])
        #expect(board.read("thing", now: start + .seconds(3))?.status == .passing)
    }

    @Test("only a typed timeout keeps the reference: a refusal whose text reads 'probe timeout' moves it")
    func typedTimeoutOnly() async {
        let typed = await deadlines(timeout: .seconds(4), probes: 3) { _, now in .timeout(after: .seconds(4), at: now) }
        let text = await deadlines(timeout: .seconds(4), probes: 3) { _, now in .critical("probe timeout after 4s (text only)", at: now) }
        // Typed: nothing ever answered, so each deadline is its own start + 4 s: +4, +5, +6. Text only:
        // each probe counts as answered, so probe 2 counts from probe 1 (+4 s), probe 3 from probe 2 (+5 s).
        let start = Self.start
        #expect(typed == [start + .seconds(4), start + .seconds(5), start + .seconds(6)])
        #expect(text == [start + .seconds(4), start + .seconds(4), start + .seconds(5)])
    }
}
