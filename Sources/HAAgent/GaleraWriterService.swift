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
        let candidates = await gather()
        let now = clock.now
        let change = choice.withLock { $0.update(candidates, now: now) }
        if let change {
            logger.notice("galera writer changed", metadata: [
                "galera.writer": .string(change.to ?? "none"), "galera.previous_writer": .string(change.from ?? "none"),
                "galera.candidates": .string(candidates.map(\.description).joined(separator: "; "))])
        }
        publish(writer: choice.withLock { $0.writer }, now: now)
    }

    func publish(writer: String?, now: MonotonicInstant) {
        let local = board.read(GaleraProbe.checkName, now: now)
        let result: CheckResult
        if let local, local.status != .passing {
            result = .critical(local.reason, at: now)
        } else if local == nil {
            result = .critical(HealthBoard.noResultReason, at: now)
        } else if writer == node {
            result = .passing(at: now)
        } else if let writer {
            result = .critical("not the designated writer (\(writer) is)", at: now)
        } else {
            result = .critical("no designated writer: no controller passes", at: now)
        }
        board.publish(name: Self.checkName, status: result.status, last: result, interval: interval)
    }

    /// Every controller in config order: this node from the board, the others over the network.
    func gather() async -> [WriterChoice.Candidate] {
        await withTaskGroup(of: (Int, WriterChoice.Candidate).self) { group in
            for (index, controller) in controllers.enumerated() {
                group.addTask { (index, await self.candidate(controller)) }
            }
            var out = [WriterChoice.Candidate?](repeating: nil, count: controllers.count)
            for await (index, candidate) in group { out[index] = candidate }
            return out.compactMap { $0 }
        }
    }

    private func candidate(_ controller: Controller) async -> WriterChoice.Candidate {
        if controller.name == node {
            guard let entry = board.read(GaleraProbe.checkName, now: clock.now), entry.status == .passing else {
                return .failing(controller.name)
            }
            return .passing(controller.name, since: entry.since)
        }
        let report: GaleraReport
        guard let fetch = fetch.withLock({ $0 }) else { return .failing(controller.name) }
        do throws(AgentClientError) { report = try await fetch(controller) } catch {
            logger.debug("galera peer report unavailable", metadata: ["peer": .string(controller.name), "error": .string(error.description)])
            return .failing(controller.name)
        }
        let received = clock.now
        guard report.status == .passing, let passingFor = report.passingForSeconds, passingFor >= 0 else {
            return .failing(controller.name)
        }
        return .passing(controller.name, since: received - .milliseconds(Int64(passingFor * 1000)))
    }
}

/// Runs the writer tracker inside the agent's ServiceGroup.
struct GaleraWriterService: Service {
    let tracker: GaleraWriterTracker

    func run() async throws {
        try? await cancelOnGracefulShutdown { await tracker.run() }
    }
}
