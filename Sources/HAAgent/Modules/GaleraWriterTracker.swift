import Foundation
import GaleraProbe
import HACore
import Logging
import Synchronization

/// The designated Galera writer (`/health/galera/writer`, agent-check `galera-writer`): every
/// `galera.interval` this agent asks every peer for its report (a signed `POST /v1/galera/peer`),
/// and feeds the round to ``WriterTakeover``, the pure rule: ``WriterChoice`` ranks all controllers
/// (config order, hold-down, drained nodes ineligible) and ``WriterHoldout`` decides whether this node
/// may answer 200: chosen, its own verdict passing, not drained, a majority of controllers heard, a
/// majority of its Galera view confirming Primary, and no peer still claiming the role (or
/// ``takeoverDelay`` passed). The tracker only gathers and executes (board, logs).
///
/// Stepping down is immediate, and between rounds the endpoint also follows the node's own verdict
/// and drain flag (see `ModuleHealth`). Every agent runs the same rule on the same inputs, so they
/// agree; a peer that does not answer within ``peerTimeout`` counts as failing and unheard. The entry
/// is registered with the probe interval, so a round that stalls turns the endpoint to
/// `503 probe stale` rather than leaving a stale writer.
final class GaleraWriterTracker: Sendable {
    /// Board entry this tracker publishes.
    static let checkName = "galera.writer"

    /// Fetches one peer's report; injected in tests.
    typealias Fetch = @Sendable (Controller) async throws(AgentClientError) -> GaleraReport

    let node: String
    let controllers: [Controller]
    let interval: Duration
    let board: HealthBoard
    let clock: any HAClock
    let logger: Logger
    /// This node's drain flag.
    let drained: @Sendable () -> Bool
    /// This node's latest probe snapshot (for its Galera view size and cluster UUID).
    let localSnapshot: @Sendable () -> GaleraMonitor.Snapshot?
    /// Set once by ``attach(_:)``: the context that owns this tracker supplies the signed client.
    private let fetch = Mutex<Fetch?>(nil)
    /// The rule (``WriterTakeover``: choice and hold-out); this tracker gathers and executes.
    private let takeover: Mutex<WriterTakeover>

    init(node: String, controllers: [Controller], config: GaleraConfig, board: HealthBoard, clock: any HAClock,
         logger: Logger, drained: @escaping @Sendable () -> Bool = { false },
         localSnapshot: @escaping @Sendable () -> GaleraMonitor.Snapshot? = { nil }, fetch: Fetch? = nil) {
        self.node = node
        self.controllers = controllers
        self.interval = config.interval
        self.board = board
        self.clock = clock
        self.logger = logger
        self.drained = drained
        self.localSnapshot = localSnapshot
        self.fetch.withLock { $0 = fetch }
        let peerTimeout = Self.peerTimeout(interval: config.interval)
        self.takeover = Mutex(WriterTakeover(node: node, controllers: controllers.count, holdDown: config.writerHoldDown,
                                             takeoverDelay: config.interval + peerTimeout,
                                             statusWindow: config.interval * HealthBoard.staleFactor))
    }

    /// Supplies how peers are asked (the owner's signed client).
    func attach(_ fetch: @escaping Fetch) {
        self.fetch.withLock { $0 = fetch }
    }

    static func peerTimeout(interval: Duration) -> Duration { min(interval * 0.8, .seconds(2)) }

    /// How long a peer may take: less than the interval, so one hung agent cannot stall rounds.
    var peerTimeout: Duration { Self.peerTimeout(interval: interval) }

    /// The current writer as this agent sees it (nil: none passes, or before the first round).
    var writer: String? { takeover.withLock { $0.writer } }

    /// How long a new writer waits for peers that may still answer 200 (see ``WriterHoldout``).
    var takeoverDelay: Duration { interval + peerTimeout }

    /// Rounds every `interval` until cancelled.
    func run() async {
        board.register(name: Self.checkName, interval: interval, at: clock.now)
        while !Task.isCancelled {
            let start = clock.now
            await round()
            do { try await clock.sleep(until: max(start + interval, clock.now), tolerance: nil) } catch { break }
        }
    }

    /// One round: gather every controller's candidacy, then let the rule choose and gate.
    func round() async {
        let seen = await gather()
        let now = clock.now
        let round = WriterTakeover.Round(seen: seen, local: localState(now: now), drained: drained(),
                                         clusterUUID: localSnapshot()?.status?.clusterStateUUID)
        execute(takeover.withLock { $0.handle(.round(round), now: now) }, now: now)
    }

    /// This node's verdict as the gate sees it (board entry, stale rule applied; view size from the probe).
    func localState(now: MonotonicInstant) -> WriterHoldout.Local {
        guard let local = board.read(GaleraMonitor.checkName, now: now) else { return .failing(HealthBoard.noResultReason) }
        guard local.status == .passing else { return .failing(local.reason) }
        return .passing(viewSize: localSnapshot()?.status?.clusterSize)
    }

    /// Feeds one between-rounds event to the gate and carries out its actions.
    func apply(_ event: WriterHoldout.Event, now: MonotonicInstant) {
        execute(takeover.withLock { $0.handle(.holdout(event), now: now) }, now: now)
    }

    private func execute(_ actions: [WriterTakeover.Action], now: MonotonicInstant) {
        for action in actions {
            switch action {
            case .writerChanged(let change, let candidates):
                logger.notice("galera writer changed", metadata: [
                    "galera.writer": .string(change.to ?? "none"), "galera.previous_writer": .string(change.from ?? "none"),
                    "galera.candidates": .string(candidates.map(\.description).joined(separator: "; "))])
            case .gate(.publish(let passing, let reason)):
                let result: CheckResult = passing ? .passing(at: now) : .critical(reason, at: now)
                board.publish(name: Self.checkName, status: result.status, last: result, interval: interval)
            case .gate(.claimed):
                logger.notice("galera writer role taken: answering 200 on the writer endpoint")
            case .gate(.steppedDown(let reason)):
                logger.notice("galera writer role left", metadata: ["galera.reason": .string(reason)])
            }
        }
    }

    /// Every controller in config order: this node from the board, the others over the network.
    func gather() async -> [WriterTakeover.Seen] {
        await withTaskGroup(of: (Int, WriterTakeover.Seen).self) { group in
            for (index, controller) in controllers.enumerated() {
                group.addTask { (index, await self.see(controller)) }
            }
            var out = [WriterTakeover.Seen?](repeating: nil, count: controllers.count)
            for await (index, seen) in group { out[index] = seen }
            return out.compactMap { $0 }
        }
    }

    private func see(_ controller: Controller) async -> WriterTakeover.Seen {
        let name = controller.name
        if name == node {
            if drained() { return .local(.drained(name)) }
            guard let entry = board.read(GaleraMonitor.checkName, now: clock.now), entry.status == .passing else {
                return .local(.failing(name))
            }
            return .local(.passing(name, since: entry.since))
        }
        guard let fetch = fetch.withLock({ $0 }) else { return .unheard(name) }
        let report: GaleraReport
        do throws(AgentClientError) { report = try await fetch(controller) } catch {
            logger.debug("galera peer report unavailable", metadata: ["peer": .string(name), "error": .string(error.description)])
            return .unheard(name)
        }
        guard report.node == name else {
            logger.warning("galera peer report names another node", metadata: ["peer": .string(name), "galera.report_node": .string(report.node)])
            return .unheard(name)
        }
        return .report(report, received: clock.now)
    }
}
