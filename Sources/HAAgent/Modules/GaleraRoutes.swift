import GaleraProbe
import HACore
import Hummingbird

/// The Galera part of the agent API: the read-only report (`GET /v1/galera`), the same report for
/// peers' writer choice (signed `POST /v1/galera/peer`), and the signed recovery actions behind
/// `hactl galera recover` (`POST /v1/galera/position|bootstrap|start|stop`).
enum GaleraRoutes {
    static func add(_ router: Router<BasicRequestContext>, _ context: AgentContext) {
        router.get("/v1/galera") { _, _ in try report(context) }
        router.post("/v1/galera/peer") { _, _ in try report(context) }
        router.post("/v1/galera/position") { _, _ in
            guard let control = context.galeraControl, let probe = context.galera else { return try notConfigured(context) }
            let running = serverRunning(probe, control, context).running
            let status = probe.snapshot.status
            let position = await control.position(running: running, clusterStatus: status?.clusterStatus,
                                                  lastCommitted: status?.lastCommitted, uuid: status?.clusterStateUUID)
            context.logger.notice("galera position reported", metadata: [
                "galera.seqno": .string(position.seqno.map(String.init) ?? "unknown"),
                "galera.source": .string(position.source.rawValue)])
            return try APIRoutes.jsonResponse(position)
        }
        for action in [GaleraNodeControl.Action.bootstrap, .start, .stop] {
            router.post(RouterPath(stringLiteral: "/v1/galera/\(action.rawValue)")) { _, _ in
                try await perform(action, context)
            }
        }
    }

    static func report(_ context: AgentContext) throws -> Response {
        guard let probe = context.galera else {
            return PlainText.response(.notFound, "galera not configured")
        }
        return try APIRoutes.jsonResponse(localReport(probe, context))
    }

    static func localReport(_ probe: GaleraMonitor, _ context: AgentContext) -> GaleraReport {
        let now = context.clock.now
        let entry = context.board.read(GaleraMonitor.checkName, now: now)
        let snapshot = probe.snapshot
        let passing = entry?.status == .passing
        return GaleraReport(
            node: context.node.name, status: entry?.status ?? .critical,
            reason: entry.map { $0.status == .passing ? "ok" : $0.reason } ?? HealthBoard.noResultReason,
            passingForSeconds: passing ? entry.map { StatusBuilder.seconds(now - $0.since) } : nil,
            ageSeconds: entry.map { StatusBuilder.seconds(now - $0.last.at) },
            wsrep: snapshot.status, statusAgeSeconds: snapshot.statusAt.map { StatusBuilder.seconds(now - $0) },
            writer: context.galeraWriter?.writer, drained: context.nodeState.drained)
    }

    /// The server runs when the machine says so (datadir lock, pid file, socket: ``ServerLiveness``)
    /// or the latest probe got an answer from it (a status read within the stale window). A hung
    /// server does not answer, but it holds the datadir: count a probe timeout as running too.
    static func serverRunning(_ probe: GaleraMonitor, _ control: GaleraNodeControl, _ context: AgentContext) -> (running: Bool, why: String) {
        let evidence = control.liveness()
        if evidence.running { return (true, evidence.description) }
        let snapshot = probe.snapshot
        guard let result = snapshot.result else { return (false, "not running") }
        if result.timedOut { return (true, "the probe times out (server hung)") }
        guard let statusAt = snapshot.statusAt else { return (false, "not running") }
        let window = probe.config.interval * HealthBoard.staleFactor
        let answered = statusAt == result.at && context.clock.now - statusAt <= window
        return answered ? (true, "the server answered the latest probe") : (false, "not running")
    }

    /// Why bootstrap must not run here, or nil: the local server runs, or a reachable peer reports a
    /// current Primary (asked with the signed peer call, bounded by the peer timeout).
    static func bootstrapRefusal(_ probe: GaleraMonitor, _ control: GaleraNodeControl, _ context: AgentContext) async -> String? {
        let local = serverRunning(probe, control, context)
        if local.running { return BootstrapGuard.refusal(local: .init(signs: [local.why]), peers: [], statusWindow: .zero) }
        let others = context.config.controllers.filter { $0.name != context.node.name }
        var client = context.peerCalls   // peer-call HTTP threads, not the handover's
        client.timeout = .seconds(2)
        client.connectTimeout = .seconds(1)
        let peerClient = client
        let reports = await withTaskGroup(of: (String, GaleraReport?).self) { group in
            for controller in others {
                group.addTask {
                    do throws(AgentClientError) {
                        let report = try await peerClient.call("/v1/galera/peer", on: controller, as: GaleraReport.self)
                        return (controller.name, report.node == controller.name ? report : nil)
                    } catch { return (controller.name, nil) }
                }
            }
            var out: [(node: String, report: GaleraReport?)] = []
            for await (node, report) in group { out.append((node, report)) }
            return out.sorted { $0.node < $1.node }
        }
        return BootstrapGuard.refusal(local: .init(signs: []), peers: reports,
                                      statusWindow: probe.config.interval * HealthBoard.staleFactor)
    }

    static func perform(_ action: GaleraNodeControl.Action, _ context: AgentContext) async throws -> Response {
        guard let control = context.galeraControl else { return try notConfigured(context) }
        context.logger.notice("galera \(action.rawValue) requested", metadata: ["galera.action": .string(action.rawValue)])
        if action == .bootstrap, let probe = context.galera, let refusal = await bootstrapRefusal(probe, control, context) {
            context.logger.error("galera bootstrap refused", metadata: ["galera.reason": .string(refusal)])
            return try APIRoutes.jsonResponse(AdminResult(node: context.node.name, ok: false, message: "bootstrap refused: \(refusal)"),
                                              status: .conflict)
        }
        let result = action == .bootstrap ? await control.bootstrap() : await control.run(action)
        switch result {
        case .success:
            context.logger.notice("galera \(action.rawValue) done", metadata: ["galera.action": .string(action.rawValue)])
            return try APIRoutes.jsonResponse(AdminResult(node: context.node.name, ok: true, message: "\(action.rawValue) done"))
        case .failure(let error):
            context.logger.error("galera \(action.rawValue) failed", metadata: ["galera.error": .string(error.description)])
            let status: HTTPResponse.Status = if case .busy = error { .conflict } else { .internalServerError }
            return try APIRoutes.jsonResponse(AdminResult(node: context.node.name, ok: false, message: error.description),
                                              status: status)
        }
    }

    static func notConfigured(_ context: AgentContext) throws -> Response {
        try APIRoutes.jsonResponse(AdminResult(node: context.node.name, ok: false, message: "galera not configured"),
                                   status: .notFound)
    }
}
