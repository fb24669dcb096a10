import HACore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// TCP server for HAProxy `agent-check`. Each connection gets exactly one answer line and is closed;
/// a client that sends nothing within `defaultAfter` gets the `node` answer (HAProxy without
/// `agent-send`), so no connection lives longer than that. A request line is at most
/// `AgentCheckHandler.maxRequest` bytes, and at most `limits.maxConnections` are open at once (a new
/// one closes the least recently opened).
struct AgentCheckServer: Service {
    let context: AgentContext
    let host: String
    let port: Int
    var defaultAfter: TimeAmount = .milliseconds(200)
    /// The connection cap (see `ConnectionLimits`), shared by the listeners on several addresses; a
    /// connection never outlives `defaultAfter` anyway.
    var limiter: ConnectionLimiter?

    init(context: AgentContext, host: String, port: Int, limiter: ConnectionLimiter? = nil) {
        self.context = context
        self.host = host
        self.port = port
        self.limiter = limiter
    }

    func run() async throws {
        let context = self.context
        let defaultAfter = self.defaultAfter
        let limiter = self.limiter ?? ConnectionLimiter(listener: "agent_check", limits: .agentCheck, metrics: context.metrics)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            AgentCheckHandler(context: context, defaultAfter: defaultAfter, limiter: limiter))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            throw AgentError.bind(what: "agent-check", address: host, port: port, message: "\(error)")
        }
        context.logger.info("agent-check listening", metadata: ["listen.address": .string(host), "listen.port": .stringConvertible(port)])
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

final class AgentCheckHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    static let maxRequest = 128

    let context: AgentContext
    let defaultAfter: TimeAmount
    let limiter: ConnectionLimiter?
    private var received: [UInt8] = []
    private var answered = false
    /// This connection's entry with the limiter, once admitted.
    private var admission: UInt64?
    private var timer: Scheduled<Void>?

    init(context: AgentContext, defaultAfter: TimeAmount, limiter: ConnectionLimiter? = nil) {
        self.context = context
        self.defaultAfter = defaultAfter
        self.limiter = limiter
    }

    func channelActive(context ctx: ChannelHandlerContext) {
        if let limiter {
            // At the cap the least recently opened connection is closed (or, if none can be, this one).
            guard let id = limiter.admit(ctx.channel) else {
                answered = true
                return
            }
            admission = id
            ctx.channel.closeFuture.whenComplete { _ in limiter.closed(id) }
        }
        let loopBound = NIOLoopBound((self, ctx), eventLoop: ctx.eventLoop)
        timer = ctx.eventLoop.scheduleTask(in: defaultAfter) {
            let (handler, ctx) = loopBound.value
            handler.respond(ctx, request: "node")
        }
        ctx.fireChannelActive()
    }

    func channelRead(context ctx: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }  // answered (or refused): nothing more is buffered
        var buffer = unwrapInboundIn(data)
        // A client that has spoken is being answered: a flood of newer silent connections at the
        // cap evicts them, never it (it closes as soon as its answer is out).
        if received.isEmpty, let limiter, let admission { limiter.update(admission, busy: true) }
        received.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        if let newline = received.firstIndex(of: 0x0A) {
            respond(ctx, request: String(decoding: received[..<newline], as: UTF8.self))
        } else if received.count > Self.maxRequest {
            respond(ctx, request: "\u{0}oversized")
        }
    }

    func channelInactive(context ctx: ChannelHandlerContext) {
        timer?.cancel()
        ctx.fireChannelInactive()
    }

    func errorCaught(context ctx: ChannelHandlerContext, error: any Error) {
        ctx.close(promise: nil)
    }

    private func respond(_ ctx: ChannelHandlerContext, request: String) {
        guard !answered else { return }
        answered = true
        timer?.cancel()
        let (service, line) = AgentCheckAnswer.answer(request, context: context)
        context.metrics.agentCheck(service: service).increment()
        let channel = ctx.channel
        ctx.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line + "\n"))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
