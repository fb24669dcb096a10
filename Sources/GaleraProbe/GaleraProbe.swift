import HACore
import Logging
import Synchronization

/// The GaleraProbe module as the agent reports it.
public enum GaleraProbeModule {
    public static let name = "galera"
    /// The agent runs the probe, the endpoints, the writer choice and the recovery actions.
    public static let implemented = true
}

/// Probes the local MariaDB Galera node once per `interval` and publishes the verdict to the
/// ``HealthBoard`` under `galera`; keeps the last status read for `hactl galera status`.
///
/// Threading: `Sendable`; every libmariadb call runs on a dedicated worker thread that owns ONE
/// persistent connection (see ``GaleraWorker``), never on Swift's cooperative pool. State shared with
/// callers (the current worker, the snapshot) is behind a `Mutex`; ``snapshot`` is a lock and a copy.
///
/// Timeouts: libmariadb's connect/read/write timeouts are `timeout` rounded up to whole seconds, and
/// every probe also races an outer deadline on the injected clock: `timeout` after the start of the
/// last probe the server answered (so a server that hangs just after a probe is reported within
/// `timeout` of the hang, not `interval + timeout`), but never less than half of `timeout` after the
/// probe's own start (see ``ProbeLoop/deadline(start:lastAnswered:timeout:)``). At the deadline
/// the result is critical `probe timeout after <timeout>` and the caller resumes at once; the stuck
/// worker is retired (it closes its connection from its own thread when libmariadb returns) and the
/// next probe starts a new worker and connection. At most ``maxStuckWorkers`` abandoned workers may
/// be alive at once; beyond that a probe fails at once instead of starting another thread.
///
/// Errors reconnect: a lost connection is replaced within the same probe, other failures on the
/// next one. The password is read from `password_file` through ``SecretFile`` on every connect and is
/// never logged or kept.
public final class GaleraProbe: Sendable {
    /// The health board entry this probe publishes.
    public static let checkName = GaleraProbeModule.name
    /// Abandoned (hung) workers allowed alive at once before probes stop starting new threads.
    public static let maxStuckWorkers = 4

    /// What the probe last saw, for `hactl galera status` and `/v1/status`.
    public struct Snapshot: Sendable, Equatable {
        /// The latest probe's result (also published to the board); `nil` before the first probe.
        public var result: CheckResult?
        /// The status read by the latest probe that could read one (it may be older than `result`).
        public var status: GaleraStatus?
        /// When `status` was read.
        public var statusAt: MonotonicInstant?
        /// How long the latest probe took (the timeout for one that timed out).
        public var duration: Duration?

        public init(result: CheckResult? = nil, status: GaleraStatus? = nil, statusAt: MonotonicInstant? = nil,
                    duration: Duration? = nil) {
            self.result = result
            self.status = status
            self.statusAt = statusAt
            self.duration = duration
        }
    }


    public let config: GaleraConfig
    public let target: GaleraTarget
    private let board: HealthBoard
    private let clock: any HAClock
    private let logger: Logger
    private let open: GaleraWorker.Opener
    private let snapshotState = Mutex(Snapshot())
    private let workers = WorkerSlot<GaleraWorker>(maxStuck: GaleraProbe.maxStuckWorkers)

    /// A probe of the node at `address` (this node's controller address), or of `config.socket`.
    ///
    /// Nothing connects until the first probe. `logger` gets status changes at `notice` (metadata
    /// `galera.status`, `galera.reason`), reconnects and timeouts at `debug`.
    public convenience init(config: GaleraConfig, address: IPAddress, board: HealthBoard, clock: any HAClock,
                            logger: Logger) {
        let target = GaleraTarget(config: config, address: address)
        self.init(config: config, target: target, board: board, clock: clock, logger: logger) { () throws(GaleraError) in
            try MariaDBConnection.galera(target)
        }
    }

    init(config: GaleraConfig, target: GaleraTarget, board: HealthBoard, clock: any HAClock, logger: Logger,
         open: @escaping GaleraWorker.Opener) {
        self.config = config
        self.target = target
        self.board = board
        self.clock = clock
        self.logger = logger
        self.open = open
    }

    deinit {
        // A forgotten probe must not leave its thread and connection behind.
        shutdown()
    }

    /// The last probe's result and status; a copy under a lock, never waits on a probe.
    public var snapshot: Snapshot { snapshotState.withLock { $0 } }

    /// Abandoned workers still stuck in libmariadb (diagnostics and tests).
    public var stuckWorkers: Int { workers.stuck }

    /// Runs one probe now and records it in ``snapshot`` (not on the board: ``run()`` publishes).
    ///
    /// Returns within `timeout` (on the injected clock) whatever the server does. Cancelling the
    /// calling task returns critical `probe cancelled` at once and records nothing. Safe to call
    /// concurrently with ``run()``: probes share the worker and queue on it, each with its own deadline.
    @discardableResult
    public func probe() async -> CheckResult {
        await probe(deadline: clock.now + config.timeout)
    }

    /// One probe racing `deadline` (the loop's, see ``ProbeLoop/deadline(start:lastAnswered:timeout:)``).
    func probe(deadline: MonotonicInstant) async -> CheckResult {
        let start = clock.now
        guard let outcome = await attempt(start: start, deadline: deadline) else {
            return .critical("probe cancelled", at: clock.now)
        }
        snapshotState.withLock { snapshot in
            snapshot.result = outcome.result
            snapshot.duration = outcome.result.at - start
            if let status = outcome.status {
                snapshot.status = status
                snapshot.statusAt = outcome.result.at
            }
        }
        return outcome.result
    }

    /// Probes every `interval` and publishes each result to the board under ``checkName`` until the
    /// calling task is cancelled; then retires the worker and returns.
    ///
    /// The entry is registered first (critical "no result yet"). A probe that times out is followed
    /// by the next one at once if `interval` has already passed, so a hung server is re-probed on a
    /// fresh connection without delay.
    public func run() async {
        let loop = ProbeLoop(name: Self.checkName, interval: config.interval, timeout: config.timeout,
                             timeoutPrefix: GaleraVerdict.timeoutPrefix)
        await loop.run(board: board, clock: clock, logger: logger) { deadline in await probe(deadline: deadline) }
        shutdown()
    }

    /// Retires the current worker: its thread closes the connection and exits (after the probe in
    /// hand, if any). Later probes start a new worker. Never blocks.
    public func shutdown() {
        workers.retireCurrent()
    }

    private struct Outcome {
        var result: CheckResult
        var status: GaleraStatus?
    }

    private enum RaceValue: Sendable {
        case finished(Result<GaleraStatus, GaleraError>)
        case timedOut
        case cancelled
    }

    /// One probe against the deadline; `nil` when the calling task was cancelled.
    private func attempt(start: MonotonicInstant, deadline: MonotonicInstant) async -> Outcome? {
        guard let worker = currentWorker() else {
            let stuck = stuckWorkers
            logger.debug("galera probe skipped: earlier probes still stuck", metadata: ["galera.stuck": "\(stuck)"])
            let reason = GaleraVerdict.timeout(after: config.timeout).reason + "; \(stuck) earlier probes still stuck"
            return Outcome(result: .critical(reason, at: clock.now))
        }
        let race = DeadlineRace<RaceValue>()
        worker.submit { race.settle(.finished($0)) }
        switch await race.run(until: deadline, on: clock, timedOut: .timedOut, cancelled: .cancelled) {
        case .finished(.success(let status)):
            let verdict = GaleraVerdict.evaluate(status, config: config)
            return Outcome(result: verdict.result(at: clock.now), status: status)
        case .finished(.failure(let error)):
            logger.debug("galera probe failed", metadata: ["galera.error": "\(error)", "galera.target": "\(target)"])
            return Outcome(result: GaleraVerdict.failed(error).result(at: clock.now))
        case .timedOut:
            abandon(worker)
            logger.debug("galera probe timed out; connection abandoned", metadata: ["galera.target": "\(target)"])
            return Outcome(result: GaleraVerdict.timeout(after: config.timeout).result(at: deadline))
        case .cancelled:
            abandon(worker)
            return nil
        }
    }

    /// The worker to probe on, started if there is none; `nil` while too many abandoned ones are stuck.
    private func currentWorker() -> GaleraWorker? {
        let (worker, created) = workers.current { generation, onExit in
            GaleraWorker(generation: generation, open: open, onExit: onExit)
        }
        if created { logger.debug("galera probe worker started", metadata: ["galera.target": "\(target)"]) }
        return worker
    }

    /// Leaves a worker whose probe did not return in time: it exits when libmariadb gives up.
    private func abandon(_ worker: GaleraWorker) {
        workers.abandon(worker)
    }
}
