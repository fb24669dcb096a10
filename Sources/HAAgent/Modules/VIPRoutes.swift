import Foundation
import HACore
import Hummingbird
import VIPManager

/// `GET /v1/vip` and the signed VIP admin calls.
enum VIPRoutes {
    static func add(_ router: Router<BasicRequestContext>, _ context: AgentContext) {
        router.get("/v1/vip") { _, _ in
            try APIRoutes.jsonResponse(context.vip?.status() ?? [])
        }
        router.post("/v1/vip/:name/takeover") { request, requestContext in
            let name = try requestContext.parameters.require("name")
            guard let engine = context.vip else { return try result(false, "no vips configured", .notFound, context) }
            let body = try await request.body.collect(upTo: 4096)
            let takeover = (try? JSONDecoder().decode(TakeoverRequest.self, from: Data(buffer: body))) ?? TakeoverRequest(pin: false)
            let outcome: Result<Void, VIPError>
            do throws(VIPError) { try await engine.takeover(name, pin: takeover.pin); outcome = .success(()) } catch { outcome = .failure(error) }
            switch outcome {
            case .success:
                return try result(true, "\(context.node.name) is master of \(name)\(takeover.pin ? " (pinned)" : "")", .ok, context)
            case .failure(let error):
                let status: HTTPResponse.Status = if case .unknownVIP = error { .notFound } else { .conflict }
                return try result(false, error.description, status, context)
            }
        }
        router.post("/v1/vip/:name/unpin") { _, requestContext in
            let name = try requestContext.parameters.require("name")
            guard let engine = context.vip else { return try result(false, "no vips configured", .notFound, context) }
            do throws(VIPError) { try engine.unpin(name) } catch { return try result(false, error.description, .notFound, context) }
            return try result(true, "pin cleared", .ok, context)
        }
    }

    static func result(_ ok: Bool, _ message: String, _ status: HTTPResponse.Status, _ context: AgentContext) throws -> Response {
        try APIRoutes.jsonResponse(AdminResult(node: context.node.name, ok: ok, message: message), status: status)
    }
}
