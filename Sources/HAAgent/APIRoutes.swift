import Foundation
import HACore
import Hummingbird
import NIOCore

/// The agent's HTTP API (SPEC §3). Health endpoints answer from the board snapshot and never probe.
enum APIRoutes {
    static func responder(_ context: AgentContext) -> some HTTPResponder<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        addHealth(router, context)
        addStatus(router, context)
        addAdmin(router, context)
        for module in context.modules.all { module.addRoutes(router, context) }
        return SignedCallResponder(inner: router.buildResponder(), context: context)
    }

    static func addHealth(_ router: Router<BasicRequestContext>, _ context: AgentContext) {
        router.get("/health/node") { _, _ in
            context.nodeState.drained ? PlainText.response(.serviceUnavailable, "drained") : PlainText.response(.ok, "up")
        }
        router.get("/health/check/:name") { _, request in
            let name = try request.parameters.require("name")
            guard let entry = context.board.read(name, now: context.clock.now),
                  context.config.checks.contains(where: { $0.name == name }) else {
                return PlainText.response(.notFound, "no check named \(name)")
            }
            return PlainText.health(entry.status == .passing, entry.status == .passing ? "ok" : entry.reason)
        }
        // Module endpoints: the board entry a module publishes, or why there is none.
        for endpoint in context.modules.all.flatMap(\.healthEndpoints) {
            switch endpoint {
            case .fixed(let path, let key):
                router.get(RouterPath(stringLiteral: path)) { _, _ in moduleHealth(key, context) }
            case .named(let prefix, let resolve):
                router.get(RouterPath(stringLiteral: prefix + "/:name")) { _, request in
                    switch resolve(try request.parameters.require("name"), context) {
                    case .success(let key): moduleHealth(key, context)
                    case .failure(let missing): PlainText.response(.notFound, missing.message)
                    }
                }
            }
        }
    }

    static func moduleHealth(_ key: HealthKey, _ context: AgentContext) -> Response {
        let (ok, reason) = ModuleHealth.verdict(key, context: context)
        return PlainText.health(ok, reason)
    }

    static func addStatus(_ router: Router<BasicRequestContext>, _ context: AgentContext) {
        router.get("/v1/status") { _, _ in
            try jsonResponse(StatusBuilder.status(context))
        }
        router.get("/metrics") { _, _ in
            StatusBuilder.refreshGauges(context)
            var bytes: [UInt8] = []
            context.metrics.registry.emit(into: &bytes)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    static func addAdmin(_ router: Router<BasicRequestContext>, _ context: AgentContext) {
        router.post("/v1/node/drain") { _, _ in try await setDrained(true, context) }
        router.post("/v1/node/resume") { _, _ in try await setDrained(false, context) }
        router.post("/v1/config/reload") { _, _ in
            let applied = context.reload()
            return try jsonResponse(AdminResult(node: context.node.name, ok: applied,
                                                message: applied ? "config reloaded" : "config invalid; see the agent log"),
                                    status: applied ? .ok : .unprocessableContent)
        }
    }

    /// A drain is also each module's business (the VIP module gives away the VIPs this node holds,
    /// loss-free, before the call answers); what a module says is appended to the message.
    static func setDrained(_ drained: Bool, _ context: AgentContext) async throws -> Response {
        let was = context.nodeState.drained
        do { try context.nodeState.setDrained(drained) } catch {
            return try jsonResponse(AdminResult(node: context.node.name, ok: false, message: error.description),
                                    status: .internalServerError)
        }
        context.metrics.drained.set(Double(drained ? 1 : 0))
        if was != drained {
            context.logger.notice(drained ? "node drained" : "node resumed", metadata: ["node.drained": .stringConvertible(drained)])
        }
        var message = was == drained ? (drained ? "already drained" : "already in service") : (drained ? "drained" : "resumed")
        for module in context.modules.all {
            if let more = await module.drainChanged(to: drained, context) { message += more }
        }
        return try jsonResponse(AdminResult(node: context.node.name, ok: true, message: message))
    }

    static func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
