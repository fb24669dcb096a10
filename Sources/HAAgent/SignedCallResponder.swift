import HACore
import Hummingbird
import NIOCore
import Synchronization

/// The gate in front of the router (docs/security.md):
/// 1. a non-canonical request target (`//v1/...`, `/./v1`, `%2F`, `\`, ...) is `400` before anything
///    else, so what a signature covers and what the router matches cannot differ;
/// 2. every method but `GET`/`HEAD`, on every path, must carry a valid signature made for this node
///    and cluster, else `401` before routing (an unsigned caller learns nothing, not even whether the
///    route exists). Header, format and time window are checked before the body is read;
/// 3. the answer to an accepted call is signed (`X-Hactl-Response`) over the call's nonce, status,
///    this node and the body, so the caller can trust it.
/// `GET`/`HEAD` pass straight through (read-only, unauthenticated by design).
struct SignedCallResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == BasicRequestContext {
    typealias Context = BasicRequestContext
    let inner: Inner
    let context: AgentContext
    /// Admin bodies are small JSON documents.
    static var maxBody: Int { 64 << 10 }
    /// Answers are built in memory by our own handlers; this bounds the copy taken to sign one.
    static var maxAnswer: Int { 16 << 20 }

    func respond(to request: Request, context requestContext: Context) async throws -> Response {
        let target = request.uri.string
        if case .failure(let rejection) = CanonicalTarget.check(target) {
            context.metrics.httpRejected(reason: rejection).increment()
            context.logger.warning("request refused: non-canonical target", metadata: [
                "http.method": .string(request.method.rawValue), "http.reject.reason": .string(rejection.rawValue)])
            return PlainText.response(.badRequest, "bad request: \(rejection.reason)")
        }
        guard request.method != .get, request.method != .head else {
            return try await inner.respond(to: request, context: requestContext)
        }
        let header = request.headers[.authorization]
        // Cheap checks first: a caller without a well-formed, current header gets nothing read.
        if case .failure(let failure) = context.signer.preflight(header: header, unixTime: context.unixTime()) {
            return refuse(failure, request)
        }
        var request = request
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: Self.maxBody) } catch {
            return PlainText.response(.contentTooLarge, "request body over \(Self.maxBody) bytes")
        }
        let signer = context.signer
        let node = context.node.name
        let cluster = context.config.cluster.name
        let verdict = signer.verify(
            header: header, method: request.method.rawValue, path: target, body: body.readableBytesView,
            node: node, cluster: cluster, unixTime: context.unixTime(), replay: context.replay)
        let call: SignedCallHeader
        switch verdict {
        case .failure(let failure): return refuse(failure, request)
        case .success(let parsed): call = parsed
        }
        request.body = .init(buffer: body)
        var response: Response
        do { response = try await inner.respond(to: request, context: requestContext) } catch {
            // The router already turns HTTP errors into answers; anything else is still answered signed.
            context.logger.error("admin call failed", metadata: ["http.path": .string(request.uri.path), "error": .string("\(error)")])
            response = PlainText.response(.internalServerError, "internal error")
        }
        let answer = try await Self.collect(response.body, upTo: Self.maxAnswer)
        response.headers[.hactlAnswer] = signer.signAnswer(
            nonce: call.nonce, status: response.status.code, body: answer.readableBytesView, node: node, cluster: cluster)
        response.body = .init(byteBuffer: answer)
        return response
    }

    private func refuse(_ failure: AuthFailure, _ request: Request) -> Response {
        context.metrics.authFailures(reason: failure).increment()
        context.logger.warning("admin call refused", metadata: [
            "http.method": .string(request.method.rawValue), "http.path": .string(request.uri.path),
            "auth.reason": .string(failure.rawValue)])
        return PlainText.response(.unauthorized, "unauthorized: \(failure.rawValue)",
                                  headers: [.wwwAuthenticate: RequestSigner.scheme])
    }

    /// The whole answer body, to sign it (our handlers answer with one small buffer).
    static func collect(_ body: ResponseBody, upTo limit: Int) async throws -> ByteBuffer {
        let sink = AnswerSink(limit: limit)
        try await body.write(CollectingWriter(sink: sink))
        return try sink.buffer()
    }
}

private final class AnswerSink: Sendable {
    struct TooLarge: Error {}
    private let state = Mutex((buffer: ByteBuffer(), overflow: false))
    let limit: Int

    init(limit: Int) { self.limit = limit }

    func append(_ part: ByteBuffer) {
        state.withLock { s in
            guard !s.overflow, s.buffer.readableBytes + part.readableBytes <= limit else { s.overflow = true; return }
            var part = part
            s.buffer.writeBuffer(&part)
        }
    }

    func buffer() throws -> ByteBuffer {
        try state.withLock { s in
            guard !s.overflow else { throw TooLarge() }
            return s.buffer
        }
    }
}

private struct CollectingWriter: ResponseBodyWriter {
    let sink: AnswerSink
    mutating func write(_ buffer: ByteBuffer) async throws { sink.append(buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

extension HTTPFields.Element.Name {
    /// `X-Hactl-Response`: the agent's MAC over its answer to a signed call.
    static var hactlAnswer: Self { Self(RequestSigner.answerHeaderName)! }
}
