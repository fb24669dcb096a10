import HACore
import Hummingbird
import NIOCore

/// Authenticates every `POST /v1/...` before routing, whatever the path, so an unsigned call learns
/// nothing (not even whether the route exists). Other requests pass straight through.
struct SignedCallResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == BasicRequestContext {
    typealias Context = BasicRequestContext
    let inner: Inner
    let context: AgentContext
    /// Admin bodies are small JSON documents.
    static var maxBody: Int { 1 << 20 }

    func respond(to request: Request, context requestContext: Context) async throws -> Response {
        guard request.method == .post, request.uri.path == "/v1" || request.uri.path.hasPrefix("/v1/") else {
            return try await inner.respond(to: request, context: requestContext)
        }
        var request = request
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: Self.maxBody) } catch {
            return PlainText.response(.contentTooLarge, "request body over \(Self.maxBody) bytes")
        }
        let target = request.uri.string
        let verdict = context.signer.verify(
            header: request.headers[.authorization], method: "POST", path: target,
            body: body.readableBytesView, unixTime: context.unixTime(), replay: context.replay)
        if case .failure(let failure) = verdict {
            context.metrics.authFailures(reason: failure).increment()
            context.logger.warning("admin call refused", metadata: [
                "http.path": .string(request.uri.path), "auth.reason": .string(failure.rawValue)])
            return PlainText.response(.unauthorized, "unauthorized: \(failure.rawValue)",
                                      headers: [.wwwAuthenticate: RequestSigner.scheme])
        }
        request.body = .init(buffer: body)
        return try await inner.respond(to: request, context: requestContext)
    }
}
