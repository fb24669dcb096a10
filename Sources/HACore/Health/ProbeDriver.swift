import Logging
import Synchronization

/// What a module probe (Galera, RabbitMQ) last saw, for its CLI status verb and `/v1/status`.
public struct ProbeSnapshot<Status: Sendable & Equatable>: Sendable, Equatable {
    /// The latest probe's result (also published to the board); `nil` before the first probe.
    public var result: CheckResult?
    /// The status read by the latest probe that could read one (it may be older than `result`).
    public var status: Status?
    /// When `status` was read.
    public var statusAt: MonotonicInstant?
    /// How long the latest probe took (the timeout for one that timed out).
    public var duration: Duration?
    /// CPU time the worker thread spent on the latest probe that measured it.
    public var workerCPUTime: Duration?

    public init(result: CheckResult? = nil, status: Status? = nil, statusAt: MonotonicInstant? = nil,
                duration: Duration? = nil, workerCPUTime: Duration? = nil) {
        self.result = result
        self.status = status
        self.statusAt = statusAt
        self.duration = duration
        self.workerCPUTime = workerCPUTime
    }
}

/// One probe as its module decided it: the result, and what it read (nil when it read nothing).
public struct ProbeOutcome<Status: Sendable>: Sendable {
    public var result: CheckResult
    public var status: Status?
    public var workerCPUTime: Duration?

    public init(result: CheckResult, status: Status? = nil, workerCPUTime: Duration? = nil) {
        self.result = result
        self.status = status
        self.workerCPUTime = workerCPUTime
    }
}

/// The base of every module probe (Galera, RabbitMQ): its worker slot (the current worker thread and
/// the abandoned ones stuck in a hung server), its snapshot, one recorded probe, and the loop that
/// publishes to the board. A module probe subclasses it and overrides only ``attempt(deadline:)``:
/// what one probe asks its worker (and anything else) and how it decides, racing the deadline.
///
/// Threading: `Sendable` (hence `@unchecked` on a class meant for subclassing: every stored property
/// is a `let` of a Sendable type, and subclasses must keep it so). The snapshot is behind a `Mutex`
/// (``snapshot`` is a lock and a copy, never waits on a probe), the workers behind the
/// ``WorkerSlot``'s.
///
/// Lifetime: a released probe retires its worker (``shutdown()`` in deinit), so a forgotten probe
/// does not leave its thread and connection behind.
open class ProbeDriver<Status: Sendable & Equatable, Worker: RetirableWorker>: @unchecked Sendable {
    /// The board entry, interval, timeout and timeout prefix.
    public let loop: ProbeLoop
    public let clock: any HAClock
    public let logger: Logger
    private let board: HealthBoard
    private let workers: WorkerSlot<Worker>
    private let state = Mutex(ProbeSnapshot<Status>())

    /// Nothing starts until the first probe.
    public init(loop: ProbeLoop, board: HealthBoard, clock: any HAClock, logger: Logger, maxStuckWorkers: Int) {
        self.loop = loop
        self.board = board
        self.clock = clock
        self.logger = logger
        workers = WorkerSlot(maxStuck: maxStuckWorkers)
    }

    deinit {
        shutdown()
    }

    /// One probe: the module's work, racing `deadline` on ``clock``; nil when the calling task was
    /// cancelled. Subclasses override it; the base has no probe of its own.
    open func attempt(deadline: MonotonicInstant) async -> ProbeOutcome<Status>? {
        preconditionFailure("\(type(of: self)) must override attempt(deadline:)")
    }

    /// The last probe's result and status; a copy under a lock, never waits on a probe.
    public var snapshot: ProbeSnapshot<Status> { state.withLock { $0 } }

    /// Abandoned workers still stuck in their server (diagnostics and tests).
    public var stuckWorkers: Int { workers.stuck }

    /// The worker to probe on, made with `make(generation, onExit)` when there is none (logged at
    /// debug with `metadata`); nil while too many abandoned ones are stuck.
    public func currentWorker(metadata: Logger.Metadata = [:],
                              make: (_ generation: Int, _ onExit: @escaping @Sendable () -> Void) -> Worker) -> Worker? {
        let (worker, created) = workers.current(make: make)
        if created { logger.debug("\(loop.name) probe worker started", metadata: metadata) }
        return worker
    }

    /// Leaves a worker whose probe did not return in time: retired, counted as stuck until it exits.
    public func abandon(_ worker: Worker) {
        workers.abandon(worker)
    }

    /// Retires the current worker: its thread closes its connection and exits (after the job in
    /// hand, if any). Later probes start a new worker. Never blocks.
    public func shutdown() {
        workers.retireCurrent()
    }

    /// Runs one probe now and records it in ``snapshot`` (not on the board: ``run()`` publishes).
    ///
    /// Returns within the timeout (on the injected clock) whatever the server does. Cancelling the
    /// calling task returns critical `probe cancelled` at once and records nothing. Safe to call
    /// concurrently with ``run()``: probes share the worker and queue on it, each with its own deadline.
    @discardableResult
    public func probe() async -> CheckResult {
        await probe(deadline: clock.now + loop.timeout)
    }

    /// One probe racing `deadline` (the loop's, see ``ProbeLoop/deadline(start:lastAnswered:timeout:)``),
    /// recorded in ``snapshot``.
    public func probe(deadline: MonotonicInstant) async -> CheckResult {
        let start = clock.now
        guard let outcome = await attempt(deadline: deadline) else {
            return .critical("probe cancelled", at: clock.now)
        }
        state.withLock { snapshot in
            snapshot.result = outcome.result
            snapshot.duration = outcome.result.at - start
            if let status = outcome.status {
                snapshot.status = status
                snapshot.statusAt = outcome.result.at
            }
            if let cpu = outcome.workerCPUTime { snapshot.workerCPUTime = cpu }
        }
        return outcome.result
    }

    /// Probes every interval and publishes each result to the board under the loop's name until the
    /// calling task is cancelled; then retires the worker and returns.
    ///
    /// The entry is registered first (critical "no result yet"). A probe that times out is followed
    /// by the next one at once if the interval has already passed, so a hung server is re-probed on
    /// a fresh connection without delay.
    public func run() async {
        await loop.run(board: board, clock: clock, logger: logger) { deadline in await probe(deadline: deadline) }
        shutdown()
    }
}
