import HACore
import Logging
import Synchronization
import Testing

@Suite struct CheckRunnerTests {
    let at = HealthTesting.at
    typealias Recorder = HealthTesting.Recorder

    /// Never answers, but returns as soon as its task is cancelled (as the HealthCheck contract asks).
    struct HangingCheck: HealthCheck {
        let name: String
        let cancellations = Recorder<MonotonicInstant>()
        /// A clock nobody advances: a hang that costs no real time and honours cancellation.
        private let never = ManualClock()

        init(name: String) { self.name = name }

        func run(at start: MonotonicInstant) async -> CheckResult {
            do {
                try await never.sleep(until: .distantFuture)
                return .passing(at: start)
            } catch {
                cancellations.append(start)
                return .critical("cancelled", at: start)
            }
        }
    }

    /// Records each start and answers with whatever status the test set.
    final class ScriptedCheck: HealthCheck {
        let name: String
        let starts = Recorder<MonotonicInstant>()
        private let next = Mutex<CheckResult>(.passing(at: .zero))

        init(name: String) { self.name = name }

        func answer(_ status: HealthStatus, _ reason: String = "") {
            next.withLock { $0 = CheckResult(status: status, reason: reason, at: .zero) }
        }

        func run(at start: MonotonicInstant) async -> CheckResult {
            starts.append(start)
            var result = next.withLock { $0 }
            result.at = start
            return result
        }
    }

    /// Starts the runner and returns its task.
    func start(_ checks: [ScheduledCheck], board: HealthBoard, clock: ManualClock,
               logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }) -> Task<Void, Never> {
        let runner = CheckRunner(checks: checks, board: board, clock: clock, logger: logger,
                                 random: HealthTesting.SplitMix64(seed: 1))
        return Task { await runner.run() }
    }

    /// Waits until exactly these timers are parked: every loop is asleep and nothing is in flight.
    func parked(_ clock: ManualClock, _ deadlines: [MonotonicInstant]) async -> Bool {
        await HealthTesting.eventually { clock.deadlines == deadlines }
    }

    @Test func aHungCheckTimesOutWhileTheOtherKeepsItsSchedule() async {
        let clock = ManualClock()
        let board = HealthBoard()
        let hung = HangingCheck(name: "hung")
        let ok = ScriptedCheck(name: "ok")
        let runner = start([
            ScheduledCheck(hung, interval: .seconds(1), timeout: .milliseconds(500), rise: 1, fall: 1, jitter: 0),
            ScheduledCheck(ok, interval: .seconds(1), timeout: .milliseconds(400), rise: 1, fall: 1, jitter: 0),
        ], board: board, clock: clock)

        // t=0: both started; ok answered and sleeps until 1s, hung's timer waits for 0.5s.
        #expect(await parked(clock, [at(0.5), at(1)]))
        #expect(board.read("ok", now: clock.now)?.status == .passing)
        #expect(board.read("hung", now: clock.now)?.reason == "no result yet")

        for round in 0..<4 {
            let t = Double(round)
            clock.advance(to: at(t + 0.5))
            #expect(await parked(clock, [at(t + 1), at(t + 1)]))
            let hungEntry = board.read("hung", now: clock.now)
            #expect(hungEntry?.status == .critical)
            #expect(hungEntry?.reason == "timeout after 500ms")
            #expect(hungEntry?.last.at == at(t + 0.5))
            #expect(await HealthTesting.eventually { hung.cancellations.count == round + 1 })

            clock.advance(to: at(t + 1))
            #expect(await parked(clock, [at(t + 1.5), at(t + 2)]))
            let okEntry = board.read("ok", now: clock.now)
            #expect(okEntry?.status == .passing)
            #expect(okEntry?.last.at == at(t + 1))
        }
        #expect(ok.starts.all == (0...4).map { at(Double($0)) })
        #expect(hung.cancellations.all == (0..<4).map { at(Double($0)) })

        runner.cancel()
        await runner.value
        #expect(clock.sleepers == 0)
        #expect(await HealthTesting.eventually { hung.cancellations.count == 5 })
    }

    @Test func aLongTimeoutNeverDelaysAFastCheck() async {
        let clock = ManualClock()
        let board = HealthBoard()
        let hung = HangingCheck(name: "slow")
        let ok = ScriptedCheck(name: "fast")
        let runner = start([
            ScheduledCheck(hung, interval: .seconds(1), timeout: .milliseconds(3500), rise: 1, fall: 1, jitter: 0),
            ScheduledCheck(ok, interval: .seconds(1), timeout: .milliseconds(500), rise: 1, fall: 1, jitter: 0),
        ], board: board, clock: clock)

        #expect(await parked(clock, [at(1), at(3.5)]))
        for second in 1...3 {
            clock.advance(to: at(Double(second)))
            #expect(await parked(clock, [at(Double(second) + 1), at(3.5)].sorted()))
            #expect(board.read("fast", now: clock.now)?.last.at == at(Double(second)))
            #expect(board.read("slow", now: clock.now)?.reason == "no result yet")
        }
        // The overrun run is recorded at its deadline, and the next run starts at once (it is overdue).
        clock.advance(to: at(3.5))
        #expect(await parked(clock, [at(4), at(7)]))
        let slow = board.read("slow", now: clock.now)
        #expect(slow?.status == .critical)
        #expect(slow?.reason == "timeout after 3.5s")
        #expect(slow?.last.at == at(3.5))
        #expect(ok.starts.count == 4)
        runner.cancel()
        await runner.value
    }

    @Test func resultsAreDebouncedAndChangesAreLoggedAtNotice() async {
        let clock = ManualClock()
        let board = HealthBoard()
        let check = ScriptedCheck(name: "haproxy")
        let (logger, records) = HealthTesting.capturingLogger()
        let runner = start([
            ScheduledCheck(check, interval: .seconds(1), timeout: .milliseconds(500), rise: 2, fall: 2, jitter: 0),
        ], board: board, clock: clock, logger: logger)

        // One pass of two: still critical, with the reason it started with.
        #expect(await parked(clock, [at(1)]))
        var entry = board.read("haproxy", now: clock.now)
        #expect(entry?.status == .critical)
        #expect(entry?.reason == "no result yet")
        #expect(entry?.last.status == .passing)

        clock.advance(to: at(1))
        #expect(await parked(clock, [at(2)]))
        #expect(board.read("haproxy", now: clock.now)?.status == .passing)

        check.answer(.critical, "connect 127.0.0.1:3306: Connection refused")
        clock.advance(to: at(2))
        #expect(await parked(clock, [at(3)]))
        #expect(board.read("haproxy", now: clock.now)?.status == .passing)
        clock.advance(to: at(3))
        #expect(await parked(clock, [at(4)]))
        entry = board.read("haproxy", now: clock.now)
        #expect(entry?.status == .critical)
        #expect(entry?.reason == "connect 127.0.0.1:3306: Connection refused")
        #expect(entry?.since == at(3))

        runner.cancel()
        await runner.value
        let notices = records.all.filter { $0.level == .notice }
        #expect(notices.count == 2)
        #expect(notices.map { $0.metadata["check.name"]?.description } == ["haproxy", "haproxy"])
        #expect(notices.map { $0.metadata["check.status"]?.description } == ["passing", "critical"])
        #expect(notices.map { $0.metadata["check.previous_status"]?.description } == ["critical", "passing"])
        #expect(notices.last?.metadata["check.reason"]?.description == "connect 127.0.0.1:3306: Connection refused")
    }

    @Test func aReplacedRunnerContinuesFromTheBoard() async {
        let clock = ManualClock(now: at(10))
        let board = HealthBoard()
        board.publish(name: "haproxy", status: .passing, last: .passing(at: at(9.5)), interval: .seconds(1))
        let check = ScriptedCheck(name: "haproxy")
        let (logger, records) = HealthTesting.capturingLogger()
        let runner = start([
            ScheduledCheck(check, interval: .seconds(1), timeout: .milliseconds(500), rise: 2, fall: 2, jitter: 0),
        ], board: board, clock: clock, logger: logger)
        // A pass keeps it passing (no proving itself again), one failure of two does not flip it.
        #expect(await parked(clock, [at(11)]))
        #expect(board.read("haproxy", now: clock.now)?.status == .passing)
        #expect(board.read("haproxy", now: clock.now)?.since == at(9.5))
        check.answer(.critical, "down")
        clock.advance(to: at(11))
        #expect(await parked(clock, [at(12)]))
        #expect(board.read("haproxy", now: clock.now)?.status == .passing)
        runner.cancel()
        await runner.value
        #expect(records.all.filter { $0.level == .notice }.isEmpty)
    }

    /// Ignores cancellation until the test opens its gate.
    final class StubbornCheck: HealthCheck {
        let name = "stubborn"
        let runs = Recorder<MonotonicInstant>()
        private let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
        private let opened = Mutex(false)

        func open() {
            opened.withLock { $0 = true }
            gate.withLock { $0.take() }?.resume()
        }

        func run(at start: MonotonicInstant) async -> CheckResult {
            runs.append(start)
            if runs.count == 1 {
                await withCheckedContinuation { continuation in
                    let alreadyOpen = opened.withLock { $0 }
                    if alreadyOpen { continuation.resume() } else { gate.withLock { $0 = continuation } }
                }
            }
            return .passing(at: start)
        }
    }

    @Test func aCheckIgnoringCancellationIsNotPiledOn() async {
        let clock = ManualClock()
        let board = HealthBoard()
        let check = StubbornCheck()
        let runner = start([
            ScheduledCheck(check, interval: .seconds(1), timeout: .milliseconds(500), rise: 1, fall: 1, jitter: 0),
        ], board: board, clock: clock)

        #expect(await parked(clock, [at(0.5)]))
        clock.advance(to: at(0.5))
        #expect(await parked(clock, [at(1)]))
        #expect(board.read("stubborn", now: clock.now)?.reason == "timeout after 500ms")

        // Still stuck at its next start: no second copy is started; that run waits for the stuck one
        // until its own deadline and is recorded as a timeout.
        clock.advance(to: at(1))
        #expect(await parked(clock, [at(1.5)]))
        #expect(check.runs.count == 1)
        clock.advance(to: at(1.5))
        #expect(await parked(clock, [at(2)]))
        let entry = board.read("stubborn", now: clock.now)
        #expect(entry?.reason == "timeout after 500ms; previous run still running")
        #expect(entry?.last.at == at(1.5))
        #expect(check.runs.count == 1)

        // Once the stuck run returns, the schedule resumes normally.
        check.open()
        clock.advance(to: at(2))
        #expect(await parked(clock, [at(3)]))
        #expect(check.runs.all == [at(0), at(2)])
        #expect(board.read("stubborn", now: clock.now)?.status == .passing)
        runner.cancel()
        await runner.value
    }

    @Test func runnerRegistersEveryCheckAndStopsOnCancellation() async {
        let clock = ManualClock(now: at(100))
        let board = HealthBoard()
        let hung = HangingCheck(name: "b-hung")
        let runner = start([
            ScheduledCheck(hung, interval: .seconds(5), timeout: .seconds(2), rise: 2, fall: 2, jitter: 0),
            ScheduledCheck(ScriptedCheck(name: "a-ok"), interval: .seconds(5), timeout: .seconds(2), rise: 2,
                           fall: 2, jitter: 0),
        ], board: board, clock: clock)
        #expect(await parked(clock, [at(102), at(105)]))
        #expect(board.all(now: clock.now).map(\.name) == ["a-ok", "b-hung"])
        runner.cancel()
        await runner.value
        #expect(clock.sleepers == 0)
        #expect(await HealthTesting.eventually { hung.cancellations.count == 1 })
    }

    @Test func jitteredSchedulesStayInTheirBand() async {
        let clock = ManualClock()
        let board = HealthBoard()
        let check = ScriptedCheck(name: "jittery")
        let runner = start([
            ScheduledCheck(check, interval: .seconds(1), timeout: .milliseconds(100), rise: 1, fall: 1, jitter: 0.2),
        ], board: board, clock: clock)
        #expect(await HealthTesting.eventually { clock.sleepers == 1 })
        let first = clock.deadlines[0]
        #expect(first >= at(0) && first <= at(0.2))  // the first run is spread over the jitter window
        clock.advance(to: first)
        for _ in 0..<20 {
            // Published and parked again (the run's timer is cancelled before the result is published).
            #expect(await HealthTesting.eventually {
                board.read("jittery", now: clock.now)?.last.at == clock.now && clock.sleepers == 1
            })
            let gap = clock.deadlines[0] - check.starts.all.last!
            #expect(gap >= .milliseconds(800) && gap <= .milliseconds(1200))
            clock.advance(to: clock.deadlines[0])
        }
        #expect(await HealthTesting.eventually { check.starts.count == 21 })
        runner.cancel()
        await runner.value
    }
}
