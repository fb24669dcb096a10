import HACore
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The per-node daemon: the health checks, the HTTP API, the agent-check server and the SIGHUP
/// reloader in one ServiceGroup. SIGTERM/SIGINT stop it gracefully; the HTTP server stops first.
public struct Agent: Sendable {
    public let context: AgentContext
    let http: HTTPClient

    public init(context: AgentContext) {
        self.context = context
        self.http = context.http
    }

    /// The HTTP application on `api_port` of this controller's address (exposed for tests).
    public func makeApplication(host: String? = nil, port: Int? = nil) -> some ApplicationProtocol {
        Application(
            responder: APIRoutes.responder(context),
            configuration: .init(address: .hostname(host ?? context.listenAddress,
                                                    port: port ?? context.config.cluster.apiPort),
                                 serverName: "hactl/\(HACoreVersion.string)"),
            logger: context.logger)
    }

    /// Runs until SIGTERM/SIGINT (or a service fails, which is rethrown).
    public func run() async throws {
        let config = context.config
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: CheckService(context: context, http: http)),
            .init(service: ConfigReloader(context: context)),
            .init(service: AgentCheckServer(context: context, host: context.listenAddress,
                                            port: config.cluster.agentCheckPort)),
        ]
        if let probe = context.galera { services.append(.init(service: GaleraService(probe: probe))) }
        if let probe = context.rabbitmq { services.append(.init(service: MQService(probe: probe))) }
        if let tracker = context.galeraWriter { services.append(.init(service: GaleraWriterService(tracker: tracker))) }
        // Shutdown runs in reverse: the HTTP server stops first, then the VIPs are handed over.
        if let engine = context.vip { services.append(.init(service: VIPService(context: context, engine: engine))) }
        services.append(.init(service: makeApplication()))
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: context.logger))
        context.logger.notice("agent starting", metadata: [
            "config.path": .string(context.configPath), "api.port": .stringConvertible(config.cluster.apiPort),
            "agent_check.port": .stringConvertible(config.cluster.agentCheckPort),
            "node.drained": .stringConvertible(context.nodeState.drained)])
        try await group.run()
        context.logger.notice("agent stopped")
    }
}

/// SIGHUP re-reads the config file (see `AgentContext.reload`).
struct ConfigReloader: Service {
    let context: AgentContext
    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            context.reload()
        }
    }
}
