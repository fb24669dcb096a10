import HACore
import Logging
import Synchronization

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
///
/// A ``ProbeDriver``: the base keeps the worker slot, the snapshot, the recorded probe and the loop;
/// this class adds only its ``attempt(deadline:)``.
public final class GaleraMonitor: ProbeDriver<GaleraStatus, GaleraWorker>, @unchecked Sendable {
    /// The health board entry this probe publishes.
    public static let checkName = "galera"
    /// Abandoned (hung) workers allowed alive at once before probes stop starting new threads.
    public static let maxStuckWorkers = 4

    /// What the probe last saw, for `hactl galera status` and `/v1/status`.
    public typealias Snapshot = ProbeSnapshot<GaleraStatus>

    public let config: GaleraConfig
    public let target: GaleraTarget
    private let open: GaleraWorker.Opener

    /// A probe of the node at `address` (this node's controller address), or of `config.socket`.
    ///
    /// Nothing connects until the first probe. `logger` gets status changes at `notice` (metadata
    /// `galera.status`, `galera.reason`), reconnects and timeouts at `debug`.
    public convenience init(config: GaleraConfig, address: IPAddress, board: HealthBoard, clock: any HAClock,
                            logger: Logger) {
        let target = GaleraTarget(config: config, address: address)
        self.init(config: config, target: target, board: board, clock: clock, logger: logger) { () throws(GaleraError) in
            try MariaDBConnection(target: target)
        }
    }

    init(config: GaleraConfig, target: GaleraTarget, board: HealthBoard, clock: any HAClock, logger: Logger,
         open: @escaping GaleraWorker.Opener) {
        self.config = config
        self.target = target
        self.open = open
        let loop = ProbeLoop(name: Self.checkName, interval: config.interval, timeout: config.timeout)
        super.init(loop: loop, board: board, clock: clock, logger: logger, maxStuckWorkers: Self.maxStuckWorkers)
    }

    private enum RaceValue: Sendable {
        case finished(Result<GaleraStatus, GaleraError>)
        case timedOut
        case cancelled
    }

    /// One probe against the deadline; `nil` when the calling task was cancelled.
    override public func attempt(deadline: MonotonicInstant) async -> ProbeOutcome<GaleraStatus>? {
        let worker = currentWorker(metadata: ["galera.target": "\(target)"]) { generation, onExit in
            GaleraWorker(generation: generation, open: open, onExit: onExit)
        }
        guard let worker else {
            let stuck = stuckWorkers
            logger.debug("galera probe skipped: earlier probes still stuck", metadata: ["galera.stuck": "\(stuck)"])
            let verdict = GaleraVerdict.timeout(after: config.timeout, detail: "; \(stuck) earlier probes still stuck")
            return ProbeOutcome(result: verdict.result(at: clock.now))
        }
        let race = DeadlineRace<RaceValue>()
        worker.submit { race.settle(.finished($0)) }
        switch await race.run(until: deadline, on: clock, timedOut: .timedOut, cancelled: .cancelled) {
        case .finished(.success(let status)):
            let verdict = GaleraVerdict.evaluate(status, config: config)
            return ProbeOutcome(result: verdict.result(at: clock.now), status: status)
        case .finished(.failure(let error)):
            logger.debug("galera probe failed", metadata: ["galera.error": "\(error)", "galera.target": "\(target)"])
            return ProbeOutcome(result: GaleraVerdict.failed(error).result(at: clock.now))
        case .timedOut:
            abandon(worker)
            logger.debug("galera probe timed out; connection abandoned", metadata: ["galera.target": "\(target)"])
            return ProbeOutcome(result: GaleraVerdict.timeout(after: config.timeout).result(at: deadline))
        case .cancelled:
            abandon(worker)
            return nil
        }
    }
}
