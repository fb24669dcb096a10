import HACore
import Logging
import Synchronization

/// Probes the local RabbitMQ node once per `interval` and publishes the verdict to the
/// ``HealthBoard`` under `rabbitmq`; keeps the last status for `hactl rabbitmq status`.
///
/// Each probe runs, concurrently, the management API calls (``MQManagement``, over HACore's
/// ``HTTPClient``) and an AMQP publish/confirm/consume round trip on a dedicated worker thread that
/// owns one persistent connection (``MQWorker``), and decides with ``MQVerdict`` as soon as the
/// answers fix the verdict (a memory alarm does not wait for the blocked round trip).
///
/// Threading: `Sendable`; librabbitmq runs only on the worker thread and curl only on the HTTP
/// client's threads, never on Swift's cooperative pool. State shared with callers (the current worker,
/// the snapshot) is behind a `Mutex`; ``snapshot`` is a lock and a copy.
///
/// Timeouts: every probe races one outer deadline of exactly `timeout` on the injected clock. At the
/// deadline the verdict is taken on what answered (`probe timeout after 2s` when neither side did)
/// and the caller resumes at once; a worker still busy is retired and the next probe starts a new
/// worker and connection. At most ``maxStuckWorkers`` abandoned workers may be alive at once; beyond
/// that the round trip fails at once (`round trip: N earlier round trips still stuck`) instead of
/// starting another thread. The worker's own waits (socket open, handshake, RPCs, frames) are bounded
/// by the same deadline, so an abandoned worker normally exits right after it.
///
/// The passwords are read from their files through ``SecretFile`` on every AMQP connect and once per
/// probe for the management API; they are never logged or kept.
///
/// A ``ProbeDriver``: the base keeps the worker slot, the snapshot, the recorded probe and the loop;
/// this class adds only its ``attempt(deadline:)``.
public final class MQMonitor: ProbeDriver<MQStatus, MQWorker>, @unchecked Sendable {
    /// The health board entry this probe publishes (also the agent-check word and `/health/rabbitmq`).
    public static let checkName = "rabbitmq"
    /// Abandoned (hung) workers allowed alive at once before probes stop starting new threads.
    public static let maxStuckWorkers = 4

    /// What the probe last saw, for `hactl rabbitmq status` and `/v1/status` (``roundTripCPUTime``:
    /// the worker thread's CPU time on the latest successful round trip).
    public typealias Snapshot = ProbeSnapshot<MQStatus>

    public let config: RabbitMQConfig
    /// The Erlang node probed (`config.nodeName(on: controller)`).
    public let node: String
    public let target: AMQPTarget
    private let management: MQManagement
    private let open: MQWorker.Opener
    /// Probes started, for the round trips' message ids.
    private let probes = Mutex<UInt64>(0)

    /// A probe of `controller`'s node, whose controller address is `address`: AMQP on `amqp.port` and
    /// the management API on `management.port` there, both over TCP.
    ///
    /// Nothing connects until the first probe. `http` should have a thread per management call (five
    /// run at once, and while a peer hangs some stall for the whole probe), and be the probe's own so
    /// those stalls never queue anyone else's calls. `logger` gets status changes at `notice` (metadata
    /// `rabbitmq.status`, `rabbitmq.reason`), failures and timeouts at `debug`.
    public convenience init(config: RabbitMQConfig, controller: String, address: IPAddress, board: HealthBoard,
                            http: HTTPClient, clock: any HAClock, logger: Logger) {
        let target = AMQPTarget(config: config, address: address)
        let management = MQManagement(config: config, controller: controller, address: address) {
            (request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse in
            try await http.execute(request)
        }
        self.init(config: config, target: target, management: management, board: board, clock: clock,
                  logger: logger) { (deadline: ContinuousClock.Instant) throws(MQError) -> any MQSession in
            try AMQPConnection(target: target, deadline: deadline)
        }
    }

    init(config: RabbitMQConfig, target: AMQPTarget, management: MQManagement, board: HealthBoard,
         clock: any HAClock, logger: Logger, open: @escaping MQWorker.Opener) {
        self.config = config
        self.node = management.node
        self.target = target
        self.management = management
        self.open = open
        let loop = ProbeLoop(name: Self.checkName, interval: config.interval, timeout: config.timeout,
                             metadata: ["rabbitmq.node": "\(management.node)"])
        super.init(loop: loop, board: board, clock: clock, logger: logger, maxStuckWorkers: Self.maxStuckWorkers)
    }

    // MARK: - One probe

    /// One probe against the deadline; `nil` when the calling task was cancelled.
    override public func attempt(deadline: MonotonicInstant) async -> ProbeOutcome<MQStatus>? {
        let collector = MQMonitorCollector(timeout: config.timeout)
        let worker = startRoundTrip(collector, deadline: deadline)
        let calls = startManagement(collector, deadline: deadline)
        let end = await collector.race.run(until: deadline, on: clock, timedOut: .timedOut, cancelled: .cancelled)
        let observation = collector.close()
        for call in calls { call.cancel() }
        // A worker whose round trip has not come back is busy past its caller: leave it behind.
        if let worker, observation.roundTrip == nil, end != .decided { abandon(worker) }
        switch end {
        case .cancelled:
            return nil
        case .timedOut:
            logger.debug("rabbitmq probe reached its deadline",
                         metadata: ["rabbitmq.target": "\(target)", "rabbitmq.answered": "\(answered(observation))"])
        case .decided:
            break
        }
        let verdict = MQVerdict.evaluate(observation, timeout: config.timeout)
        if case .failure(let error)? = observation.roundTrip {
            logger.debug("rabbitmq round trip failed", metadata: ["rabbitmq.error": "\(error)", "rabbitmq.target": "\(target)"])
        }
        let at = end == .timedOut ? deadline : clock.now
        let cpu = (try? observation.roundTrip?.get())?.cpuTime
        return ProbeOutcome(result: verdict.result(at: at), status: observation.status(node: node), workerCPUTime: cpu)
    }

    /// Queues the round trip on the worker (started if there is none); the worker, or nil when too
    /// many abandoned ones are stuck (the round trip is then recorded as failed at once).
    private func startRoundTrip(_ collector: MQMonitorCollector, deadline: MonotonicInstant) -> MQWorker? {
        let id = probes.withLock { count in
            count &+= 1
            return "hactl-\(count)-\(UInt64.random(in: 0...UInt64.max))"
        }
        let worker = currentWorker(metadata: ["rabbitmq.target": "\(target)"]) { generation, onExit in
            MQWorker(generation: generation, open: open, onExit: onExit)
        }
        guard let worker else {
            let stuck = stuckWorkers
            logger.debug("rabbitmq round trip skipped: earlier ones still stuck", metadata: ["rabbitmq.stuck": "\(stuck)"])
            let error = MQError(stage: .roundTrip, message: "\(stuck) earlier round trips still stuck")
            collector.record { $0.roundTrip = .failure(error) }
            return nil
        }
        // The worker's waits use the monotonic system clock; the budget is what is left on ours.
        let budget = max(.zero, clock.now.duration(to: deadline))
        worker.submit(MQWorker.Job(id: id, deadline: .now + budget) { result in
            collector.record { $0.roundTrip = result }
        })
        return worker
    }

    /// Starts the management calls as child tasks of no one (cancelled by the caller when the probe
    /// ends); each records its answer in `collector`.
    private func startManagement(_ collector: MQMonitorCollector, deadline: MonotonicInstant) -> [Task<Void, Never>] {
        let auth: BasicAuth
        switch management.credentials() {
        case .failure(let error):
            collector.record { o in
                o.node = .failure(error)
                o.localAlarms = .failure(error)
                o.quorumCritical = .failure(error)
                o.mirrorSyncCritical = .failure(error)
                o.cluster = .failure(error)
            }
            return []
        case .success(let credentials):
            auth = credentials
        }
        let budget = max(.zero, clock.now.duration(to: deadline))
        let api = management
        return [
            Task { let r = await api.nodeStats(auth: auth, timeout: budget); collector.record { $0.node = r } },
            Task {
                let r = await api.healthCheck(MQManagement.localAlarmsPath, auth: auth, timeout: budget)
                collector.record { $0.localAlarms = r }
            },
            Task {
                let r = await api.healthCheck(MQManagement.quorumCriticalPath, auth: auth, timeout: budget)
                collector.record { $0.quorumCritical = r }
            },
            Task {
                let r = await api.healthCheck(MQManagement.mirrorSyncCriticalPath, auth: auth, timeout: budget)
                collector.record { $0.mirrorSyncCritical = r }
            },
            Task { let r = await api.clusterNodes(auth: auth, timeout: budget); collector.record { $0.cluster = r } },
        ]
    }

    private func answered(_ o: MQObservation) -> String {
        let parts: [(String, Bool)] = [("node", o.node != nil), ("local_alarms", o.localAlarms != nil),
                                       ("quorum", o.quorumCritical != nil), ("mirror_sync", o.mirrorSyncCritical != nil),
                                       ("cluster", o.cluster != nil), ("round_trip", o.roundTrip != nil)]
        return parts.filter(\.1).map(\.0).joined(separator: ",")
    }
}

extension ProbeSnapshot where Status == MQStatus {
    /// CPU time (user + system) the worker thread spent on the latest successful round trip,
    /// reconnecting included; the management calls run on the HTTP client's threads and are not in it.
    public var roundTripCPUTime: Duration? { workerCPUTime }
}

/// The parts of one probe as they arrive, and the race that ends the probe: settled as soon as the
/// answers decide the verdict (or all arrived), else by the deadline or the caller's cancellation.
///
/// Thread-safe: parts arrive from the worker thread and from HTTP tasks; the observation is behind a
/// `Mutex`. After ``close()`` late parts are dropped, so the probe's result never changes under it.
final class MQMonitorCollector: Sendable {
    enum End: Sendable, Equatable { case decided, timedOut, cancelled }

    let race = DeadlineRace<End>()
    private let timeout: Duration
    private let state = Mutex((observation: MQObservation(), closed: false))

    init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Applies one answer; settles the race when the probe can end now.
    func record(_ update: (inout MQObservation) -> Void) {
        let done = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            update(&state.observation)
            return Self.canEnd(state.observation, timeout: timeout)
        }
        if done { race.settle(.decided) }
    }

    /// Stops accepting answers and returns what arrived.
    func close() -> MQObservation {
        state.withLock { state in
            state.closed = true
            return state.observation
        }
    }

    /// Everything answered, or a failure is already certain (a passing verdict still waits for the
    /// cluster view, which the status shows).
    static func canEnd(_ observation: MQObservation, timeout: Duration) -> Bool {
        if observation.complete { return true }
        return MQVerdict.decided(observation) && !MQVerdict.evaluate(observation, timeout: timeout).isPassing
    }
}
