import HACore

/// Builds `GET /v1/status` from the snapshots; no probe runs here.
enum StatusBuilder {
    static func status(_ context: AgentContext) -> NodeStatus {
        let config = context.config
        let now = context.clock.now
        let checks = config.checks.map { check -> CheckStatus in
            guard let entry = context.board.read(check.name, now: now) else {
                return CheckStatus(name: check.name, status: .critical, reason: "no result yet", ageSeconds: nil)
            }
            let age = entry.last.at.duration(to: now)
            return CheckStatus(name: check.name, status: entry.status,
                               reason: entry.status == .passing ? "" : entry.reason,
                               ageSeconds: Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18)
        }
        return NodeStatus(
            node: context.node.name, cluster: config.cluster.name, address: context.node.address.description,
            version: HACoreVersion.string, uptimeSeconds: seconds(context.uptime), drained: context.nodeState.drained,
            checks: checks, modules: modules(context))
    }

    /// One section per registered module, in registration order.
    static func modules(_ context: AgentContext) -> [ModuleStatus] {
        context.modules.all.map { $0.status(context) }
    }

    /// State gauges are read at scrape time from the same snapshots.
    static func refreshGauges(_ context: AgentContext) {
        context.metrics.startTime.set(seconds(context.uptime))
        context.metrics.drained.set(Double(context.nodeState.drained ? 1 : 0))
        let now = context.clock.now
        for check in context.config.checks {
            context.metrics.checkStatus(check.name).set(level(context.board.read(check.name, now: now)?.status))
        }
        for module in context.modules.all { module.refreshGauges(context) }
    }

    /// A verdict as a gauge value: 0 passing, 1 warning, 2 critical or unknown.
    static func level(_ status: HealthStatus?) -> Double { status == .passing ? 0 : status == .warning ? 1 : 2 }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
