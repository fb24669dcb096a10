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
        VIPRoutes.add(router, context)
        GaleraRoutes.add(router, context)
        RabbitMQRoutes.add(router, context)
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
        for (path, module) in [("/health/galera", "galera"), ("/health/galera/writer", "galera.writer"),
                               ("/health/rabbitmq", "rabbitmq")] {
            router.get(RouterPath(stringLiteral: path)) { _, _ in moduleHealth(module, context) }
        }
        router.get("/health/vip/:name") { _, request in
            let name = try request.parameters.require("name")
            // The engine's running set, not the reloaded config (VIP changes take effect at restart).
            if let missing = context.vipNotRunning(name) { return PlainText.response(.notFound, missing) }
            return moduleHealth("vip.\(name)", context)
        }
    }

    static func moduleHealth(_ key: String, _ context: AgentContext) -> Response {
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

    /// A drain also gives away the VIPs this node holds (loss-free, see `VIPHandover`) before answering.
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
        if let engine = context.vip {
            engine.reevaluate()
            if drained {
                let held = engine.status().filter { $0.state == "master" }.map(\.name)
                await VIPHandover.giveAway(context, engine: engine, reason: "node drained")
                let still = engine.status().filter { $0.state == "master" }.map(\.name)
                if !held.isEmpty {
                    message += still.isEmpty ? "; handed over \(held.joined(separator: ", "))"
                        : "; still master of \(still.joined(separator: ", ")) (no peer took over)"
                }
            }
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
