import Foundation
import GaleraProbe
import HACore
import Logging
import ServiceLifecycle
import Synchronization

/// The designated Galera writer (`/health/galera/writer`, agent-check `galera-writer`): every
/// `galera.interval` this agent asks every peer for its report (a signed `POST /v1/galera/peer`),
/// ranks all controllers with ``WriterChoice`` (config order, hold-down, drained nodes ineligible)
/// and feeds the round to ``WriterHoldout``, which decides whether this node may answer 200: chosen,
/// its own verdict passing, not drained, a majority of controllers heard, a majority of its Galera
/// view confirming Primary, and no peer still claiming the role (or ``takeoverDelay`` passed).
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
    let localSnapshot: @Sendable () -> GaleraProbe.Snapshot?
    /// Set once by ``attach(_:)``: the context that owns this tracker supplies the signed client.
    private let fetch = Mutex<Fetch?>(nil)
    private let choice: Mutex<WriterChoice>
    private let holdout: Mutex<WriterHoldout>

    init(node: String, controllers: [Controller], config: GaleraConfig, board: HealthBoard, clock: any HAClock,
         logger: Logger, drained: @escaping @Sendable () -> Bool = { false },
         localSnapshot: @escaping @Sendable () -> GaleraProbe.Snapshot? = { nil }, fetch: Fetch? = nil) {
        self.node = node
        self.controllers = controllers
        self.interval = config.interval
        self.board = board
        self.clock = clock
        self.logger = logger
        self.drained = drained
        self.localSnapshot = localSnapshot
        self.fetch.withLock { $0 = fetch }
        self.choice = Mutex(WriterChoice(holdDown: config.writerHoldDown))
        let peerTimeout = Self.peerTimeout(interval: config.interval)
        self.holdout = Mutex(WriterHoldout(node: node, controllers: controllers.count,
                                           takeoverDelay: config.interval + peerTimeout))
    }

    /// Supplies how peers are asked (the owner's signed client).
    func attach(_ fetch: @escaping Fetch) {
        self.fetch.withLock { $0 = fetch }
    }

    static func peerTimeout(interval: Duration) -> Duration { min(interval * 0.8, .seconds(2)) }

    /// How long a peer may take: less than the interval, so one hung agent cannot stall rounds.
    var peerTimeout: Duration { Self.peerTimeout(interval: interval) }

    /// The current writer as this agent sees it (nil: none passes, or before the first round).
    var writer: String? { choice.withLock { $0.writer } }

    /// How long a new writer waits for peers that may still answer 200 (see ``WriterHoldout``).
    var takeoverDelay: Duration { interval + peerTimeout }

    /// How long a peer's wsrep status may be old and still confirm Primary.
    var statusWindow: Duration { interval * HealthBoard.staleFactor }

    /// Rounds every `interval` until cancelled.
    func run() async {
        board.register(name: Self.checkName, interval: interval, at: clock.now)
        while !Task.isCancelled {
            let start = clock.now
            await round()
            do { try await clock.sleep(until: max(start + interval, clock.now), tolerance: nil) } catch { break }
        }
    }

    /// One round: gather every controller's candidacy, choose, gate, publish.
    func round() async {
        let gathered = await gather()
        let candidates = gathered.map(\.candidate)
        let now = clock.now
        let (change, writer) = choice.withLock { choice in
            (choice.update(candidates, now: now), choice.writer)
        }
        if let change {
            logger.notice("galera writer changed", metadata: [
                "galera.writer": .string(change.to ?? "none"), "galera.previous_writer": .string(change.from ?? "none"),
                "galera.candidates": .string(candidates.map(\.description).joined(separator: "; "))])
        }
        let round = WriterHoldout.Round(writer: writer, local: localState(now: now), drained: drained(),
                                        peers: gathered.compactMap(\.peer))
        apply(.round(round), now: now)
    }

    /// This node's verdict as the gate sees it (board entry, stale rule applied; view size from the probe).
    func localState(now: MonotonicInstant) -> WriterHoldout.Local {
        guard let local = board.read(GaleraProbe.checkName, now: now) else { return .failing(HealthBoard.noResultReason) }
        guard local.status == .passing else { return .failing(local.reason) }
        return .passing(viewSize: localSnapshot()?.status?.clusterSize)
    }

    /// Feeds one event to the gate and carries out its actions.
    func apply(_ event: WriterHoldout.Event, now: MonotonicInstant) {
        let actions = holdout.withLock { $0.handle(event, now: now) }
        for action in actions {
            switch action {
            case .publish(let passing, let reason):
                let result: CheckResult = passing ? .passing(at: now) : .critical(reason, at: now)
                board.publish(name: Self.checkName, status: result.status, last: result, interval: interval)
            case .claimed:
                logger.notice("galera writer role taken: answering 200 on the writer endpoint")
            case .steppedDown(let reason):
                logger.notice("galera writer role left", metadata: ["galera.reason": .string(reason)])
            }
        }
    }

    /// One controller as a round saw it.
    struct Seen: Sendable {
        var name: String
        var candidate: WriterChoice.Candidate
        /// For a peer: what the gate needs; nil for this node.
        var peer: WriterHoldout.Peer?
    }

    /// Every controller in config order: this node from the board, the others over the network.
    func gather() async -> [Seen] {
        await withTaskGroup(of: (Int, Seen).self) { group in
            for (index, controller) in controllers.enumerated() {
                group.addTask { (index, await self.see(controller)) }
            }
            var out = [Seen?](repeating: nil, count: controllers.count)
            for await (index, seen) in group { out[index] = seen }
            return out.compactMap { $0 }
        }
    }

    private func see(_ controller: Controller) async -> Seen {
        let name = controller.name
        if name == node {
            if drained() { return Seen(name: name, candidate: .drained(name)) }
            guard let entry = board.read(GaleraProbe.checkName, now: clock.now), entry.status == .passing else {
                return Seen(name: name, candidate: .failing(name))
            }
            return Seen(name: name, candidate: .passing(name, since: entry.since))
        }
        let unheard = Seen(name: name, candidate: .failing(name), peer: .unheard(name))
        guard let fetch = fetch.withLock({ $0 }) else { return unheard }
        let report: GaleraReport
        do throws(AgentClientError) { report = try await fetch(controller) } catch {
            logger.debug("galera peer report unavailable", metadata: ["peer": .string(name), "error": .string(error.description)])
            return unheard
        }
        guard report.node == name else {
            logger.warning("galera peer report names another node", metadata: ["peer": .string(name), "galera.report_node": .string(report.node)])
            return unheard
        }
        return Seen(name: name, candidate: candidate(report, received: clock.now),
                    peer: WriterHoldout.Peer(name: name, heard: true, confirmsPrimary: confirmsPrimary(report),
                                             claimsWriter: report.writer == name && report.status == .passing))
    }

    /// A peer's candidacy from its report; every number bounded before any arithmetic.
    func candidate(_ report: GaleraReport, received: MonotonicInstant) -> WriterChoice.Candidate {
        if report.drained == true { return .drained(report.node) }
        guard report.status == .passing, let passingFor = GaleraReport.boundedDuration(report.passingForSeconds) else {
            return .failing(report.node)
        }
        return .passing(report.node, since: received - passingFor)
    }

    /// The peer's latest probe read Primary, recently, in the same cluster as ours (when both UUIDs are known).
    func confirmsPrimary(_ report: GaleraReport) -> Bool {
        guard report.statusIsCurrent(window: statusWindow), report.wsrep?.clusterStatus == "Primary" else { return false }
        if let theirs = report.wsrep?.clusterStateUUID, let ours = localSnapshot()?.status?.clusterStateUUID {
            return theirs == ours
        }
        return true
    }
}

/// Runs the writer tracker inside the agent's ServiceGroup.
struct GaleraWriterService: Service {
    let tracker: GaleraWriterTracker

    func run() async throws {
        await cancelWhenGracefulShutdown { await tracker.run() }
    }
}
