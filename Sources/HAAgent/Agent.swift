import HACore
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The per-node daemon: the health checks, the HTTP API, the agent-check server and the SIGHUP
/// reloader in one ServiceGroup, plus each module's services. SIGTERM/SIGINT stop it gracefully, in
/// this order: the modules' `.beforeServer` services first (the VIPs are handed over; the HTTP API
/// and the checks keep running meanwhile), then the HTTP server stops with a bounded drain
/// (`httpDrain`), then the rest.
public struct Agent: Sendable {
    public let context: AgentContext
    let http: HTTPClient
    /// How long requests in flight may take once the HTTP server is told to stop; then it is cancelled.
    public static let httpDrain: Duration = .seconds(2)
    /// Backstop for the whole graceful stop (handover, drain, the rest); below the unit's TimeoutStopSec.
    public static let maximumStop: Duration = .seconds(20)

    public init(context: AgentContext) {
        self.context = context
        self.http = context.http
    }

    /// The HTTP application on `api_port` of `cluster.listen_address` (exposed for tests), with the
    /// connection guard (cap, idle and body timeouts, body limit) in every connection's pipeline.
    public func makeApplication(host: String? = nil, port: Int? = nil,
                                limits: ConnectionLimits = .api) -> some ApplicationProtocol {
        makeApplication(host: host, port: port,
                        limiter: ConnectionLimiter(listener: "api", limits: limits, metrics: context.metrics))
    }

    func makeApplication(host: String?, port: Int?, limiter: ConnectionLimiter) -> some ApplicationProtocol {
        Application(
            responder: APIRoutes.responder(context),
            server: .http1(configuration: .init(additionalChannelHandlers: [HTTPConnectionGuard(limiter: limiter)])),
            configuration: .init(address: .hostname(host ?? context.listenAddress,
                                                    port: port ?? context.config.cluster.apiPort),
                                 serverName: "hactl/\(HACoreVersion.string)"),
            logger: context.logger)
    }

    /// Runs until SIGTERM/SIGINT (or a service fails, which is rethrown).
    public func run() async throws {
        let config = context.config
        let addresses = Self.listenAddresses(config.cluster.listenAddress, node: context.node)
        let services = makeServices(addresses: addresses).map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        var groupConfig = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: context.logger)
        groupConfig.maximumGracefulShutdownDuration = Self.maximumStop
        groupConfig.maximumCancellationDuration = .seconds(2)
        let group = ServiceGroup(configuration: groupConfig)
        context.logger.notice("agent starting", metadata: [
            "config.path": .string(context.configPath), "listen.addresses": .string(addresses.joined(separator: ",")),
            "api.port": .stringConvertible(config.cluster.apiPort),
            "agent_check.port": .stringConvertible(config.cluster.agentCheckPort),
            "node.drained": .stringConvertible(context.nodeState.drained)])
        try await group.run()
        context.logger.notice("agent stopped")
    }
}

extension Agent {
    /// The ServiceGroup's services in start order (they stop in reverse): the checks, the reloader,
    /// the agent-check servers, the modules' `.afterServer` services, the HTTP servers, then the
    /// modules' `.beforeServer` services, which therefore stop first (the VIP handover calls the
    /// peers, not our own server, and HAProxy keeps reading our health endpoints meanwhile); the
    /// HTTP server then stops within `httpDrain`, so a slow request cannot hold the handover.
    func makeServices(addresses: [String]) -> [any Service] {
        let config = context.config
        var services: [any Service] = [CheckService(context: context, http: http), ConfigReloader(context: context)]
        let checkLimiter = ConnectionLimiter(listener: "agent_check", limits: .agentCheck, metrics: context.metrics)
        for address in addresses {
            services.append(AgentCheckServer(context: context, host: address, port: config.cluster.agentCheckPort,
                                             limiter: checkLimiter))
        }
        let moduleServices = context.modules.all.flatMap { $0.services(context) }
        services += moduleServices.filter { $0.stop == .afterServer }.map(\.service)
        let apiLimiter = ConnectionLimiter(listener: "api", limits: .api, metrics: context.metrics)
        for address in addresses {
            services.append(BoundedDrain(service: makeApplication(host: address, port: nil, limiter: apiLimiter),
                                         drain: Self.httpDrain, logger: context.logger))
        }
        services += moduleServices.filter { $0.stop == .beforeServer }.map(\.service)
        return services
    }
}

extension Agent {
    /// Where the API and the agent-check server listen: with `listen_address: controller` the
    /// controller address and the loopback of its family (local checks such as
    /// `tcp: 127.0.0.1:9781` keep working; loopback is not reachable from the network), else the
    /// configured address alone.
    static func listenAddresses(_ listen: ListenAddress, node: Controller) -> [String] {
        switch listen {
        case .controller:
            let loopback = node.address.isIPv4 ? "127.0.0.1" : "::1"
            let own = node.address.description
            return own == loopback ? [own] : [own, loopback]
        case .address(let address):
            return [address.description]
        }
    }
}
