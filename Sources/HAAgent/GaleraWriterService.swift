import Foundation
import GaleraProbe
import HACore
import Logging
import ServiceLifecycle
import Synchronization

/// The designated Galera writer (`/health/galera/writer`, agent-check `galera-writer`): every
/// `galera.interval` this agent asks every peer for its verdict (a signed `POST /v1/galera/peer`),
/// ranks all controllers with ``WriterChoice`` (config order, hold-down) and publishes `galera.writer`
/// to the board: passing only when the writer is this node and its own verdict passes.
///
/// No two writers at once: a node that just became the writer answers 200 only when every peer
/// answered this round and none still claims the role, or after ``takeoverDelay`` (by then every
/// other agent has run a round and stepped down). Stepping down is immediate, and between rounds
/// the endpoint also follows the node's own verdict (see `ModuleHealth`).
///
/// Every agent runs the same rule on the same inputs, so they agree; a peer that does not answer
/// within ``peerTimeout`` counts as failing. The entry is registered with the probe interval, so a
/// round that stalls turns the endpoint to `503 probe stale` rather than leaving a stale writer.
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
    /// Set once by ``attach(_:)``: the context that owns this tracker supplies the signed client.
    private let fetch = Mutex<Fetch?>(nil)
    private let choice: Mutex<WriterChoice>

    init(node: String, controllers: [Controller], config: GaleraConfig, board: HealthBoard, clock: any HAClock,
         logger: Logger, fetch: Fetch? = nil) {
        self.node = node
        self.controllers = controllers
        self.interval = config.interval
        self.board = board
        self.clock = clock
        self.logger = logger
        self.fetch.withLock { $0 = fetch }
        self.choice = Mutex(WriterChoice(holdDown: config.writerHoldDown))
    }

    /// Supplies how peers are asked (the owner's signed client).
    func attach(_ fetch: @escaping Fetch) {
        self.fetch.withLock { $0 = fetch }
    }

    /// How long a peer may take: less than the interval, so one hung agent cannot stall rounds.
    var peerTimeout: Duration { min(interval * 0.8, .seconds(2)) }

    /// The current writer as this agent sees it (nil: none passes, or before the first round).
    var writer: String? { choice.withLock { $0.writer } }

    /// Rounds every `interval` until cancelled.
    func run() async {
        board.register(name: Self.checkName, interval: interval, at: clock.now)
        while !Task.isCancelled {
            let start = clock.now
            await round()
            do { try await clock.sleep(until: max(start + interval, clock.now), tolerance: nil) } catch { break }
        }
    }

    /// One round: gather every controller's candidacy, choose, publish.
    func round() async {
        let gathered = await gather()
        let candidates = gathered.map(\.candidate)
        let now = clock.now
        let (change, writer, since) = choice.withLock { choice in
            let change = choice.update(candidates, now: now)
            return (change, choice.writer, choice.since)
        }
        if let change {
            logger.notice("galera writer changed", metadata: [
                "galera.writer": .string(change.to ?? "none"), "galera.previous_writer": .string(change.from ?? "none"),
                "galera.candidates": .string(candidates.map(\.description).joined(separator: "; "))])
        }
        // Another agent that still claims the writer, or one not heard from, may still answer 200
        // until its next round: take over only once they have stepped down, or after the delay.
        let holdouts = gathered.filter { $0.name != node && ($0.claimsWriter || !$0.answered) }.map(\.name)
        publish(writer: writer, holdouts: holdouts, writerSince: since, now: now)
    }

    /// How long a new writer waits for agents that still claim the role (or did not answer) to step
    /// down: every other agent runs a round, and finishes gathering, within this.
    var takeoverDelay: Duration { interval + peerTimeout }

    func publish(writer: String?, holdouts: [String] = [], writerSince: MonotonicInstant? = nil, now: MonotonicInstant) {
        let local = board.read(GaleraProbe.checkName, now: now)
        let result: CheckResult
        if let local, local.status != .passing {
            result = .critical(local.reason, at: now)
        } else if local == nil {
            result = .critical(HealthBoard.noResultReason, at: now)
        } else if writer == node {
            let waited = writerSince.map { now - $0 } ?? takeoverDelay
            if holdouts.isEmpty || waited >= takeoverDelay {
                result = .passing(at: now)
            } else {
                result = .critical("taking over as writer once \(holdouts.joined(separator: ", ")) stepped down", at: now)
            }
        } else if let writer {
            result = .critical("not the designated writer (\(writer) is)", at: now)
        } else {
            result = .critical("no designated writer: no controller passes", at: now)
        }
        board.publish(name: Self.checkName, status: result.status, last: result, interval: interval)
    }

    /// One controller as a round saw it.
    struct Seen: Sendable {
        var name: String
        var candidate: WriterChoice.Candidate
        /// This node, or a peer whose report arrived this round.
        var answered: Bool
        /// A peer whose own choice is itself: it may be answering 200 on its writer endpoint.
        var claimsWriter: Bool
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
            guard let entry = board.read(GaleraProbe.checkName, now: clock.now), entry.status == .passing else {
                return Seen(name: name, candidate: .failing(name), answered: true, claimsWriter: false)
            }
            return Seen(name: name, candidate: .passing(name, since: entry.since), answered: true, claimsWriter: false)
        }
        let report: GaleraReport
        guard let fetch = fetch.withLock({ $0 }) else {
            return Seen(name: name, candidate: .failing(name), answered: false, claimsWriter: false)
        }
        do throws(AgentClientError) { report = try await fetch(controller) } catch {
            logger.debug("galera peer report unavailable", metadata: ["peer": .string(name), "error": .string(error.description)])
            return Seen(name: name, candidate: .failing(name), answered: false, claimsWriter: false)
        }
        let received = clock.now
        let claims = report.writer == name && report.status == .passing
        guard report.status == .passing, let passingFor = report.passingForSeconds, passingFor >= 0 else {
            return Seen(name: name, candidate: .failing(name), answered: true, claimsWriter: claims)
        }
        return Seen(name: name, candidate: .passing(name, since: received - .milliseconds(Int64(passingFor * 1000))),
                    answered: true, claimsWriter: claims)
    }
}

/// Runs the writer tracker inside the agent's ServiceGroup.
struct GaleraWriterService: Service {
    let tracker: GaleraWriterTracker

    func run() async throws {
        try? await cancelOnGracefulShutdown { await tracker.run() }
    }
}
