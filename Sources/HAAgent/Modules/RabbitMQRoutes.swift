import HACore
import Hummingbird
import MQProbe

/// `GET /v1/rabbitmq`: this node's RabbitMQ view from the probe's snapshot (never a probe).
enum RabbitMQRoutes {
    static func add(_ router: Router<BasicRequestContext>, _ context: AgentContext) {
        router.get("/v1/rabbitmq") { _, _ in
            guard let probe = context.rabbitmq else { return PlainText.response(.notFound, "rabbitmq not configured") }
            return try APIRoutes.jsonResponse(report(probe, context))
        }
    }

    static func report(_ probe: MQMonitor, _ context: AgentContext) -> MQReport {
        let now = context.clock.now
        let entry = context.board.read(MQMonitor.checkName, now: now)
        let snapshot = probe.snapshot
        return MQReport(
            node: context.node.name, rabbitNode: probe.node, status: entry?.status ?? .critical,
            reason: entry.map { $0.status == .passing ? "ok" : $0.reason } ?? HealthBoard.noResultReason,
            ageSeconds: entry.map { StatusBuilder.seconds(now - $0.last.at) },
            probeMs: snapshot.duration.map { StatusBuilder.seconds($0) * 1000 },
            roundTripCPUMs: snapshot.roundTripCPUTime.map { StatusBuilder.seconds($0) * 1000 },
            rabbitmq: snapshot.status)
    }
}
