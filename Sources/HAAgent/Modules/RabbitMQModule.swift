import HACore
import Hummingbird
import Prometheus
import MQProbe

/// The RabbitMQ module (`rabbitmq:`): the probe, `/health/rabbitmq`, the agent-check word
/// `rabbitmq` and `/v1/rabbitmq`.
struct RabbitMQModule: AgentModule {
    /// Threads of the management API client: one per management call of a probe, and one spare.
    static let httpThreads = 6
    let name = ModuleName.rabbitmq
    static let probeKey = HealthKey(.rabbitmq)

    let probe: MQMonitor?

    init(_ environment: ModuleEnvironment) {
        let node = environment.node
        // Its own HTTP client: a probe runs five management calls at once, and while a peer hangs
        // some of them stall for the whole probe; they must not queue the agent's peer calls.
        probe = environment.config.rabbitmq.map {
            MQMonitor(config: $0, controller: node.name, address: node.address, board: environment.board,
                    http: HTTPClient(threads: RabbitMQModule.httpThreads), clock: environment.clock, logger: environment.logger)
        }
    }

    func isConfigured(_ context: AgentContext) -> Bool { context.config.rabbitmq != nil }

    func services(_ context: AgentContext) -> [ModuleService] {
        probe.map { [ModuleService(ProbeService(probe: $0))] } ?? []
    }

    func addRoutes(_ router: Router<BasicRequestContext>, _ context: AgentContext) { RabbitMQRoutes.add(router, context) }

    var healthEndpoints: [HealthEndpoint] { [.fixed(path: "/health/rabbitmq", key: Self.probeKey)] }

    var agentCheckWords: [AgentCheckWord] { [AgentCheckWord("rabbitmq", Self.probeKey)] }

    func status(_ context: AgentContext) -> ModuleStatus {
        guard let probe else { return sectionAbsent }
        return probeStatus(Self.probeKey, context) {
            let s = probe.snapshot.status
            let running = s?.clusterNodes.map { nodes in "\(nodes.filter(\.running).count)/\(nodes.count) nodes running" }
            let trip = s?.roundTripMs.map { String(format: "round trip %.2f ms", $0) }
            return [running, trip].compactMap { $0 }.joined(separator: ", ")
        }
    }

    func reloadWarnings(from old: ClusterConfig, to new: ClusterConfig, _ context: AgentContext) -> [ReloadWarning] {
        old.rabbitmq != new.rabbitmq ? [ReloadWarning("rabbitmq changed: takes effect at the next agent restart")] : []
    }

    func refreshGauges(_ context: AgentContext) {
        guard let probe else { return }
        let key = Self.probeKey.boardKey
        context.metrics.moduleStatus(key).set(StatusBuilder.level(context.board.read(key, now: context.clock.now)?.status))
        let snapshot = probe.snapshot
        if let duration = snapshot.duration { context.metrics.probeDuration(name.rawValue).set(StatusBuilder.seconds(duration)) }
        context.metrics.rabbitmqRoundTrip.set((snapshot.status?.roundTripMs ?? 0) / 1000)
    }
}

extension AgentContext {
    /// The RabbitMQ probe when `rabbitmq:` was configured at start.
    public var rabbitmq: MQMonitor? { modules.first(RabbitMQModule.self)?.probe }
}

extension AgentMetrics {
    /// Set at scrape time by ``RabbitMQModule/refreshGauges(_:)``.
    var rabbitmqRoundTrip: Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(
            metricName: "hactl_rabbitmq_round_trip", unitName: "seconds",
            helpText: "Publish-to-delivery time of the last AMQP round trip (absent value: 0)"))
    }
}
