import Foundation
import GaleraProbe
import HACore
import Hummingbird
import Prometheus

/// The Galera module (`galera:`): the probe, the designated-writer tracker and the recovery actions;
/// `/health/galera`, `/health/galera/writer`, the agent-check words `galera` and `galera-writer`,
/// `/v1/galera` and the signed recovery calls.
struct GaleraModule: AgentModule {
    let name = ModuleName.galera
    /// The node's own verdict.
    static let probeKey = HealthKey(.galera)
    /// The designated-writer verdict (published by ``GaleraWriterTracker``).
    static let writerKey = HealthKey(.galera, "writer")

    let probe: GaleraMonitor?
    /// The local server's recovery actions.
    let control: GaleraNodeControl?
    /// The designated-writer choice (peers fetched with signed calls once attached).
    let writer: GaleraWriterTracker?

    init(_ environment: ModuleEnvironment) {
        let config = environment.config, node = environment.node, nodeState = environment.nodeState
        let probe = config.galera.map {
            GaleraMonitor(config: $0, address: node.address, board: environment.board, clock: environment.clock,
                        logger: environment.logger)
        }
        self.probe = probe
        control = config.galera.map { GaleraNodeControl(node: node.name, config: $0, directory: config.directory) }
        writer = config.galera.map {
            GaleraWriterTracker(node: node.name, controllers: config.controllers, config: $0, board: environment.board,
                                clock: environment.clock, logger: environment.logger, drained: { nodeState.drained },
                                localSnapshot: { probe?.snapshot })
        }
    }

    /// The running config: a reload that removes `galera:` turns its endpoints to `galera not configured`.
    func isConfigured(_ context: AgentContext) -> Bool { context.config.galera != nil }

    func services(_ context: AgentContext) -> [ModuleService] {
        [probe.map { ModuleService(ProbeService(probe: $0)) },
         writer.map { ModuleService(GaleraWriterService(tracker: $0)) }].compactMap { $0 }
    }

    func addRoutes(_ router: Router<BasicRequestContext>, _ context: AgentContext) { GaleraRoutes.add(router, context) }

    var healthEndpoints: [HealthEndpoint] {
        [.fixed(path: "/health/galera", key: Self.probeKey), .fixed(path: "/health/galera/writer", key: Self.writerKey)]
    }

    var agentCheckWords: [AgentCheckWord] {
        [AgentCheckWord("galera", Self.probeKey), AgentCheckWord("galera-writer", Self.writerKey)]
    }

    func health(_ key: HealthKey, _ context: AgentContext) -> (ok: Bool, reason: String) {
        guard key == Self.writerKey else {
            return ModuleHealth.boardVerdict(key, context, missing: "\(name) module not implemented in this build")
        }
        // The writer entry is refreshed once per round; the node's own verdict and drain flag are
        // newer between rounds, and a failing or drained node must never stay writer until the next
        // round (the entry itself goes stale when rounds stop).
        let local = ModuleHealth.verdict(Self.probeKey, context: context)
        if !local.ok { return local }
        if context.nodeState.drained { return (false, WriterHoldout.drainedReason) }
        return ModuleHealth.boardVerdict(key, context, missing: HealthBoard.noResultReason)
    }

    func status(_ context: AgentContext) -> ModuleStatus {
        guard let probe else { return sectionAbsent }
        return probeStatus(Self.probeKey, context) {
            let s = probe.snapshot.status
            let writer = self.writer?.writer.map { $0 == context.node.name ? "writer" : "writer \($0)" }
            return [s?.localStateComment, s?.clusterStatus, s?.clusterSize.map { "size \($0)" }, writer]
                .compactMap { $0 }.joined(separator: ", ")
        }
    }

    func reloadWarnings(from old: ClusterConfig, to new: ClusterConfig, _ context: AgentContext) -> [ReloadWarning] {
        old.galera != new.galera ? [ReloadWarning("galera changed: takes effect at the next agent restart")] : []
    }

    func refreshGauges(_ context: AgentContext) {
        guard let probe else { return }
        let now = context.clock.now
        for key in [Self.probeKey, Self.writerKey] {
            context.metrics.moduleStatus(key.boardKey).set(StatusBuilder.level(context.board.read(key.boardKey, now: now)?.status))
        }
        let snapshot = probe.snapshot
        if let duration = snapshot.duration { context.metrics.probeDuration(name.rawValue).set(StatusBuilder.seconds(duration)) }
        if let seqno = snapshot.status?.lastCommitted { context.metrics.galeraLastCommitted.set(Double(seqno)) }
    }

    /// The writer fetches peers' reports with the context's signed peer client.
    func attach(to context: AgentContext) {
        writer?.attach { [weak context] controller throws(AgentClientError) in
            guard let context else { throw .badResponse(node: controller.name, message: "agent stopping") }
            var client = context.peerCalls
            client.timeout = context.galeraWriter?.peerTimeout ?? .seconds(1)
            client.connectTimeout = min(client.timeout, .milliseconds(500))
            return try await client.call("/v1/galera/peer", on: controller, as: GaleraReport.self)
        }
    }
}

extension AgentContext {
    /// The Galera probe when `galera:` was configured at start.
    public var galera: GaleraMonitor? { modules.first(GaleraModule.self)?.probe }
    /// The local server's recovery actions when `galera:` was configured at start.
    public var galeraControl: GaleraNodeControl? { modules.first(GaleraModule.self)?.control }
    /// The designated-writer choice when `galera:` was configured at start.
    var galeraWriter: GaleraWriterTracker? { modules.first(GaleraModule.self)?.writer }
}

extension AgentMetrics {
    /// Set at scrape time by ``GaleraModule/refreshGauges(_:)``.
    var galeraLastCommitted: Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(
            metricName: "hactl_galera_last_committed", unitName: "",
            helpText: "wsrep_last_committed of the last status read"))
    }
}
