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
            let running = serverAnswers(probe, context)
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

    static func localReport(_ probe: GaleraProbe, _ context: AgentContext) -> GaleraReport {
        let now = context.clock.now
        let entry = context.board.read(GaleraProbe.checkName, now: now)
        let snapshot = probe.snapshot
        let passing = entry?.status == .passing
        return GaleraReport(
            node: context.node.name, status: entry?.status ?? .critical,
            reason: entry.map { $0.status == .passing ? "ok" : $0.reason } ?? HealthBoard.noResultReason,
            passingForSeconds: passing ? entry.map { StatusBuilder.seconds(now - $0.since) } : nil,
            ageSeconds: entry.map { StatusBuilder.seconds(now - $0.last.at) },
            wsrep: snapshot.status, statusAgeSeconds: snapshot.statusAt.map { StatusBuilder.seconds(now - $0) },
            writer: context.galeraWriter?.writer)
    }

    /// The server runs when the latest probe got an answer from it (a status read within the stale
    /// window). A hung server does not answer, but it holds the datadir: count it as running too.
    static func serverAnswers(_ probe: GaleraProbe, _ context: AgentContext) -> Bool {
        let snapshot = probe.snapshot
        guard let result = snapshot.result else { return false }
        if result.reason.hasPrefix(GaleraVerdict.timeoutPrefix) { return true }
        guard let statusAt = snapshot.statusAt else { return false }
        let window = probe.config.interval * HealthBoard.staleFactor
        return statusAt == result.at && context.clock.now - statusAt <= window
    }

    static func perform(_ action: GaleraNodeControl.Action, _ context: AgentContext) async throws -> Response {
        guard let control = context.galeraControl else { return try notConfigured(context) }
        context.logger.notice("galera \(action.rawValue) requested", metadata: ["galera.action": .string(action.rawValue)])
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
