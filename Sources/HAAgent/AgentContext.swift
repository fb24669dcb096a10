import Foundation
import HACore
import Logging
import Prometheus
import Synchronization

/// Everything the agent's services and handlers share. Immutable references; the mutable parts
/// (config, signer) sit behind a Mutex and are swapped whole on SIGHUP.
public final class AgentContext: Sendable {
    public let node: Controller
    public let configPath: String
    public let board: HealthBoard
    public let nodeState: NodeStateStore
    public let replay = ReplayCache()
    public let clock: any HAClock
    public let startedAt: MonotonicInstant
    public let logger: Logger
    public let metrics: AgentMetrics
    /// The wall clock: signature windows, the signatures of peer calls, timelines (injected in tests).
    public let wallClock: any WallClock
    /// Wall clock in whole Unix seconds, for signature windows.
    public func unixTime() -> Int64 { wallClock.now.secondsSinceEpoch }
    /// For the local HTTP checks only; owned by the application, which shuts it down. Peer calls
    /// and handovers have clients of their own (below), so a hung peer never delays a local check.
    public let http: HTTPClient
    /// For calls to other agents that run all the time (e.g. the Galera writer's peer fetches).
    let peerHTTP: HTTPClient
    /// For the calls made while the agent stops (the VIP handover's takeover calls), which must not
    /// queue behind peer fetches.
    let handoverHTTP: HTTPClient
    /// The registered modules (see ``AgentModule``), each built from this node's config.
    public let modules: ModuleRegistry

    private struct Live { var config: ClusterConfig; var signer: RequestSigner }
    private let live: Mutex<Live>
    private let reloadContinuation: AsyncStream<ClusterConfig>.Continuation
    /// Each applied config, for the one service that re-plans checks.
    let reloads: AsyncStream<ClusterConfig>

    /// - Parameters:
    ///   - http: the local checks' client.
    ///   - peerHTTP, handoverHTTP: the clients for peer calls and for the handover (see
    ///     ``AgentHTTPClients``); nil: a one-thread client of the context's own.
    ///   - modules: the modules to build and register (two with one name are refused).
    public init(config: ClusterConfig, node: Controller, stateDirectory: String, registry: PrometheusCollectorRegistry,
                http: HTTPClient, peerHTTP: HTTPClient? = nil, handoverHTTP: HTTPClient? = nil,
                clock: any HAClock = SystemClock(), logger: Logger,
                wallClock: any WallClock = SystemWallClock(),
                modules: [ModuleFactory] = ModuleRegistry.standard) throws(AgentError) {
        let signer: RequestSigner
        do { signer = try RequestSigner(secretFile: config.cluster.secretFile) } catch { throw .secret(error) }
        self.node = node
        self.configPath = config.path
        let board = HealthBoard()
        let nodeState = try NodeStateStore(directory: stateDirectory)
        self.board = board
        self.nodeState = nodeState
        self.clock = clock
        self.startedAt = clock.now
        var logger = logger
        logger[metadataKey: "node"] = .string(node.name)
        self.logger = logger
        self.metrics = AgentMetrics(registry: registry)
        self.wallClock = wallClock
        self.http = http
        self.peerHTTP = peerHTTP ?? HTTPClient(threads: 1)
        self.handoverHTTP = handoverHTTP ?? HTTPClient(threads: 1)
        let environment = ModuleEnvironment(config: config, node: node, board: board, nodeState: nodeState,
                                            clock: clock, wallClock: wallClock, logger: logger)
        self.modules = try ModuleRegistry(modules.map { $0(environment) })
        self.live = Mutex(Live(config: config, signer: signer))
        (self.reloads, self.reloadContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.metrics.drained.set(Double(nodeState.drained ? 1 : 0))
        for module in self.modules.all { module.attach(to: self) }
    }

    public var config: ClusterConfig { live.withLock { $0.config } }
    public var signer: RequestSigner { live.withLock { $0.signer } }

    /// Re-reads the config file: a valid one (for the same node) is applied, an invalid one is logged
    /// with every error and the running config stays.
    @discardableResult
    public func reload() -> Bool {
        let loaded: ClusterConfig
        do { loaded = try ClusterConfig.load(path: configPath) } catch {
            metrics.reloads(result: "invalid").increment()
            logger.error("config reload rejected; keeping the running config",
                         metadata: ["config.path": .string(configPath), "config.errors": .string(error.description)])
            return false
        }
        guard let me = loaded.controller(named: node.name) else {
            metrics.reloads(result: "invalid").increment()
            logger.error("config reload rejected: this node is no longer a controller", metadata: ["config.path": .string(configPath)])
            return false
        }
        let signer: RequestSigner
        do { signer = try RequestSigner(secretFile: loaded.cluster.secretFile) } catch {
            metrics.reloads(result: "invalid").increment()
            logger.error("config reload rejected", metadata: ["config.errors": .string(error.description)])
            return false
        }
        let old = config
        for module in modules.all {
            for warning in module.reloadWarnings(from: old, to: loaded, self) {
                logger.warning(warning.message, metadata: warning.metadata)
            }
        }
        if old.cluster.apiPort != loaded.cluster.apiPort || old.cluster.agentCheckPort != loaded.cluster.agentCheckPort
            || old.cluster.listenAddress != loaded.cluster.listenAddress || me.address != node.address {
            logger.warning("listener address or port changed: takes effect at the next agent restart")
        }
        live.withLock { $0 = Live(config: loaded, signer: signer) }
        reloadContinuation.yield(loaded)
        metrics.reloads(result: "applied").increment()
        logger.notice("config reloaded", metadata: ["config.path": .string(configPath)])
        return true
    }

    /// Where both listeners bind: `cluster.listen_address` (default: this node's controller address).
    public var listenAddress: String { config.cluster.listenAddress.resolved(for: node).description }

    /// Signed calls to the other agents while the agent stops (the VIP handover's takeover calls),
    /// on the handover's own client.
    public var peers: AgentClient {
        var client = AgentClient(config: config, signer: signer, http: handoverHTTP, wallClock: wallClock)
        client.timeout = .seconds(3)
        return client
    }

    /// Signed calls to the other agents in normal operation (e.g. Galera peer reports), on their own client.
    var peerCalls: AgentClient {
        var client = AgentClient(config: config, signer: signer, http: peerHTTP, wallClock: wallClock)
        client.timeout = .seconds(3)
        return client
    }

    /// Uptime measured on the agent's monotonic clock.
    public var uptime: Duration { startedAt.duration(to: clock.now) }

    func finishReloads() { reloadContinuation.finish() }
}
