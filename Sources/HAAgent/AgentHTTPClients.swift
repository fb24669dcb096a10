import HACore
import Logging

/// The agent's HTTP clients, one per class of call, each with its own bounded set of threads (and
/// every request its own deadline, which also bounds its wait for a thread): dead peers hanging every
/// peer call cannot starve the local checks, and neither can delay a handover.
public struct AgentHTTPClients: Sendable {
    /// Local HTTP checks (`checks:`).
    public let checks: HTTPClient
    /// Peer calls in normal operation (Galera writer's peer reports).
    public let peers: HTTPClient
    /// Takeover calls of the VIP handover at stop.
    public let handover: HTTPClient

    public init(checkThreads: Int = 2, peerThreads: Int = 2, handoverThreads: Int = 2) {
        checks = HTTPClient(threads: checkThreads, logger: Logger(label: "hactl.http.checks"))
        peers = HTTPClient(threads: peerThreads, logger: Logger(label: "hactl.http.peers"))
        handover = HTTPClient(threads: handoverThreads, logger: Logger(label: "hactl.http.handover"))
    }

    public func shutdown() async {
        await checks.shutdown()
        await peers.shutdown()
        await handover.shutdown()
    }
}
