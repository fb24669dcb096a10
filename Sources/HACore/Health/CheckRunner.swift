import Logging
import Synchronization

/// A check with its schedule and debounce thresholds, as configured under `checks:`.
public struct ScheduledCheck: Sendable {
    public var check: any HealthCheck
    public var interval: Duration
    public var timeout: Duration
    public var rise: Int
    public var fall: Int
    /// ± fraction of `interval` (see ``CheckSchedule``).
    public var jitter: Double

    public init(_ check: any HealthCheck, interval: Duration, timeout: Duration, rise: Int, fall: Int,
                jitter: Double = 0.1) {
        self.check = check
        self.interval = interval
        self.timeout = timeout
        self.rise = rise
        self.fall = fall
        self.jitter = jitter
    }

    public var name: String { check.name }
    public var schedule: CheckSchedule { CheckSchedule(interval: interval, timeout: timeout, jitter: jitter) }
}

/// Runs each check on its own schedule and publishes its debounced status to a ``HealthBoard``.
///
/// A `final class` driven by the caller's task: ``run()`` does the work and returns when that task is
/// cancelled (wrap it in a service for a `ServiceGroup`). Inside, every check has its own child task,
/// its own ``HysteresisStateMachine`` and its own ``CheckSchedule``, so nothing is shared between checks
/// but the board and the random source.
///
/// Each check's debounced status starts from the board's current entry for its name (critical "no
/// result yet" for a new one), so replacing a runner, as on a config reload, does not flap a status.
///
/// Timeouts: each run races its check against the clock. At the deadline the run is recorded as
/// critical "timeout after <timeout>" and the check's task is cancelled; the runner does not wait for
/// it to return. If it is still running at its next scheduled start (it ignored cancellation), the
/// new run waits for it until its own deadline instead of starting a second copy, and is recorded
/// critical "timeout after <timeout>; previous run still running" if it is still stuck then. So a
/// hung check costs at most one task and never delays the others; it still yields one result per run.
///
/// Every change of a debounced status is logged at `notice` with `check.name`, `check.status`,
/// `check.previous_status` and `check.reason`; each timeout at `debug`.
public final class CheckRunner: Sendable {
    public let checks: [ScheduledCheck]
    private let board: HealthBoard
    private let clock: any HAClock
    private let logger: Logger
    private let random: Mutex<any RandomNumberGenerator & Sendable>

    /// - Precondition: check names are unique.
    public init(checks: [ScheduledCheck], board: HealthBoard, clock: any HAClock, logger: Logger,
                random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        precondition(Set(checks.map(\.name)).count == checks.count, "check names must be unique")
        self.checks = checks
        self.board = board
        self.clock = clock
        self.logger = logger
        self.random = Mutex(random)
    }

    /// Registers every check on the board ("no result yet") and runs them until the task is cancelled.
    public func run() async {
        let now = clock.now
        for check in checks { board.register(name: check.name, interval: check.interval, at: now) }
        await withTaskGroup(of: Void.self) { group in
            for check in checks {
                group.addTask { await self.loop(check) }
            }
        }
    }

    private func loop(_ scheduled: ScheduledCheck) async {
        let schedule = scheduled.schedule
        // Continue from what the board shows (e.g. a runner re-planned on config reload), so a restart
        // does not flap a passing check to critical while it proves itself again.
        let seed = board.read(scheduled.name, now: clock.now)
        var machine = HysteresisStateMachine(rise: scheduled.rise, fall: scheduled.fall,
                                             initial: seed?.status ?? .critical,
                                             reason: seed?.reason ?? HealthBoard.noResultReason)
        var next = draw { schedule.firstRun(at: clock.now, random: &$0) }
        var previousRun: RunFlag?
        while true {
            do { try await clock.sleep(until: next, tolerance: nil) } catch { return }
            let start = clock.now
            guard let result = await runOnce(scheduled.check, schedule: schedule, at: start, previous: &previousRun)
            else { return }
            record(result, of: scheduled, machine: &machine)
            next = max(draw { schedule.nextRun(after: start, random: &$0) }, clock.now)
        }
    }

    /// One scheduled run; `nil` when the runner was cancelled.
    ///
    /// A run abandoned at its deadline normally returns moments after its cancellation; if it is still
    /// going, this run waits for it until its own deadline rather than starting a second copy.
    private func runOnce(_ check: any HealthCheck, schedule: CheckSchedule, at start: MonotonicInstant,
                         previous: inout RunFlag?) async -> CheckResult? {
        if let flag = previous, !flag.isFinished {
            let deadline = schedule.deadline(for: start)
            guard let finished = await wait(for: flag, until: deadline) else { return nil }
            if !finished {
                logger.debug("check still running after cancellation", metadata: ["check.name": "\(check.name)"])
                return .critical("timeout after \(CheckSchedule.describe(schedule.timeout)); "
                    + "previous run still running", at: deadline)
            }
        }
        let begin = clock.now
        let flag = RunFlag()
        previous = flag
        return await execute(check, start: begin, deadline: schedule.deadline(for: begin), flag: flag)
    }

    private func record(_ result: CheckResult, of scheduled: ScheduledCheck, machine: inout HysteresisStateMachine) {
        let actions = machine.handle(.result(result))
        board.publish(name: scheduled.name, status: machine.status, reason: machine.reason, last: result,
                      interval: scheduled.interval)
        for case let .changed(from, to, reason) in actions {
            logger.notice("check status changed", metadata: [
                "check.name": "\(scheduled.name)",
                "check.status": "\(to.rawValue)",
                "check.previous_status": "\(from.rawValue)",
                "check.reason": "\(reason)",
            ])
        }
    }

    /// Runs one check against its deadline; `nil` when the runner itself was cancelled.
    private func execute(_ check: any HealthCheck, start: MonotonicInstant, deadline: MonotonicInstant,
                         flag: RunFlag) async -> CheckResult? {
        let race = DeadlineRace<RunOutcome>()
        let work = Task {
            let result = await check.run(at: start)
            flag.finish()
            race.settle(.finished(result))
        }
        let outcome = await race.run(until: deadline, on: clock, timedOut: .timedOut, cancelled: .cancelled)
        work.cancel()
        switch outcome {
        case .finished(var result):
            result.at = clock.now
            return result
        case .timedOut:
            logger.debug("check timed out", metadata: ["check.name": "\(check.name)"])
            return .critical("timeout after \(CheckSchedule.describe(deadline - start))", at: deadline)
        case .cancelled:
            return nil
        }
    }

    /// Waits until an abandoned run returns (`true`) or `deadline` passes (`false`); `nil` when cancelled.
    private func wait(for flag: RunFlag, until deadline: MonotonicInstant) async -> Bool? {
        let race = DeadlineRace<Bool?>()
        flag.whenFinished { race.settle(true) }
        return await race.run(until: deadline, on: clock, timedOut: false, cancelled: nil)
    }

    private func draw<T>(_ body: (inout any RandomNumberGenerator & Sendable) -> T) -> T {
        random.withLock { body(&$0) }
    }
}

private enum RunOutcome: Sendable {
    case finished(CheckResult)
    case timedOut
    case cancelled
}

/// Set once a check's run has returned, so an abandoned run that ignores cancellation is not piled on.
private final class RunFlag: Sendable {
    private struct State {
        var finished = false
        /// One slot: only the check's own loop waits, and a newer wait replaces an older one, so a run
        /// stuck for days does not collect a closure per interval.
        var waiter: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    var isFinished: Bool { state.withLock { $0.finished } }

    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            return state.waiter.take()
        }
        waiter?()
    }

    /// Calls `body` once the run has returned (at once if it already has), replacing any earlier body.
    func whenFinished(_ body: @escaping @Sendable () -> Void) {
        let now: Bool = state.withLock { state in
            if state.finished { return true }
            state.waiter = body
            return false
        }
        if now { body() }
    }
}
