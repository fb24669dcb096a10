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

/// The part every module probe shares: its worker slot (the current worker thread and the abandoned
/// ones stuck in a hung server), its snapshot, one recorded probe, and the loop that publishes to
/// the board. The module supplies only the attempt: what one probe asks its worker (and anything
/// else) and how it decides, racing the deadline it is given.
///
/// Threading: `Sendable`; the snapshot is behind a `Mutex` (``snapshot`` is a lock and a copy, never
/// waits on a probe), the workers behind the ``WorkerSlot``'s.
public final class ProbeDriver<Status: Sendable & Equatable, Worker: RetirableWorker>: Sendable {
    /// The board entry, interval, timeout and timeout prefix.
    public let loop: ProbeLoop
    private let board: HealthBoard
    private let clock: any HAClock
    private let logger: Logger
    private let workers: WorkerSlot<Worker>
    private let state = Mutex(ProbeSnapshot<Status>())

    public init(loop: ProbeLoop, board: HealthBoard, clock: any HAClock, logger: Logger, maxStuckWorkers: Int) {
        self.loop = loop
        self.board = board
        self.clock = clock
        self.logger = logger
        workers = WorkerSlot(maxStuck: maxStuckWorkers)
    }

    /// The last probe's result and status; a copy under a lock.
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

    /// Runs `attempt(start, deadline)` and records its outcome in ``snapshot`` (not on the board:
    /// ``run(probe:)`` publishes). An attempt that returns nil was cancelled: critical
    /// `probe cancelled`, nothing recorded.
    public func probe(deadline: MonotonicInstant,
                      attempt: (_ start: MonotonicInstant, _ deadline: MonotonicInstant) async -> ProbeOutcome<Status>?) async
        -> CheckResult {
        let start = clock.now
        guard let outcome = await attempt(start, deadline) else {
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

    /// Probes every interval and publishes each result to the board until the calling task is
    /// cancelled (see ``ProbeLoop``); then retires the worker and returns.
    public func run(probe: (_ deadline: MonotonicInstant) async -> CheckResult) async {
        await loop.run(board: board, clock: clock, logger: logger, probe: probe)
        shutdown()
    }
}
