import GaleraProbe
import HACore
import MQProbe

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

    static func modules(_ context: AgentContext) -> [ModuleStatus] {
        let config = context.config
        func placeholder(_ name: String, configured: Bool) -> ModuleStatus {
            configured ? ModuleStatus(name: name, state: .notImplemented, detail: "configured; not implemented in this build")
                : ModuleStatus(name: name, state: .off, detail: "section absent")
        }
        return [
            vipModule(context),
            galeraModule(context),
            rabbitmqModule(context),
            placeholder("compute", configured: config.compute != nil),
        ]
    }

    static func galeraModule(_ context: AgentContext) -> ModuleStatus {
        guard let probe = context.galera else { return ModuleStatus(name: "galera", state: .off, detail: "section absent") }
        guard let entry = context.board.read(GaleraProbe.checkName, now: context.clock.now) else {
            return ModuleStatus(name: "galera", state: .degraded, detail: "no result yet")
        }
        if entry.status != .passing { return ModuleStatus(name: "galera", state: .degraded, detail: entry.reason) }
        let s = probe.snapshot.status
        let writer = context.galeraWriter?.writer.map { $0 == context.node.name ? "writer" : "writer \($0)" }
        let detail = [s?.localStateComment, s?.clusterStatus, s?.clusterSize.map { "size \($0)" }, writer]
            .compactMap { $0 }.joined(separator: ", ")
        return ModuleStatus(name: "galera", state: .ok, detail: detail)
    }

    static func rabbitmqModule(_ context: AgentContext) -> ModuleStatus {
        guard let probe = context.rabbitmq else { return ModuleStatus(name: "rabbitmq", state: .off, detail: "section absent") }
        guard let entry = context.board.read(MQProbe.checkName, now: context.clock.now) else {
            return ModuleStatus(name: "rabbitmq", state: .degraded, detail: "no result yet")
        }
        if entry.status != .passing { return ModuleStatus(name: "rabbitmq", state: .degraded, detail: entry.reason) }
        let s = probe.snapshot.status
        let running = s?.clusterNodes.map { nodes in "\(nodes.filter(\.running).count)/\(nodes.count) nodes running" }
        let trip = s?.roundTripMs.map { String(format: "round trip %.2f ms", $0) }
        return ModuleStatus(name: "rabbitmq", state: .ok, detail: [running, trip].compactMap { $0 }.joined(separator: ", "))
    }

    static func vipModule(_ context: AgentContext) -> ModuleStatus {
        guard let engine = context.vip else { return ModuleStatus(name: "vip", state: .off, detail: "section absent") }
        let vips = engine.status()
        let detail = vips.map { "\($0.name)=\($0.state)(\($0.priority))" }.joined(separator: " ")
        let faulted = vips.filter { $0.state == "fault" }
        return ModuleStatus(name: "vip", state: faulted.isEmpty ? .ok : .degraded,
                            detail: faulted.isEmpty ? detail : "fault: " + faulted.map { "\($0.name) (\($0.priorityReasons.joined(separator: ", ")))" }.joined(separator: "; "))
    }

    /// State gauges are read at scrape time from the same snapshots.
    static func refreshGauges(_ context: AgentContext) {
        context.metrics.startTime.set(seconds(context.uptime))
        context.metrics.drained.set(Double(context.nodeState.drained ? 1 : 0))
        let now = context.clock.now
        func level(_ status: HealthStatus?) -> Double { status == .passing ? 0 : status == .warning ? 1 : 2 }
        for check in context.config.checks {
            context.metrics.checkStatus(check.name).set(level(context.board.read(check.name, now: now)?.status))
        }
        if let probe = context.galera {
            for entry in [GaleraProbe.checkName, GaleraWriterTracker.checkName] {
                context.metrics.moduleStatus(entry).set(level(context.board.read(entry, now: now)?.status))
            }
            let snapshot = probe.snapshot
            if let duration = snapshot.duration { context.metrics.probeDuration("galera").set(seconds(duration)) }
            if let seqno = snapshot.status?.lastCommitted { context.metrics.galeraLastCommitted.set(Double(seqno)) }
        }
        if let probe = context.rabbitmq {
            context.metrics.moduleStatus(MQProbe.checkName).set(level(context.board.read(MQProbe.checkName, now: now)?.status))
            let snapshot = probe.snapshot
            if let duration = snapshot.duration { context.metrics.probeDuration("rabbitmq").set(seconds(duration)) }
            context.metrics.rabbitmqRoundTrip.set((snapshot.status?.roundTripMs ?? 0) / 1000)
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
