import HACore
import Hummingbird
import NIOCore
import NIOHTTPTypes
import Prometheus
import Synchronization

/// Bounds on the connections the agent's listeners accept (issue 11 item 5). Both listeners are
/// health endpoints HAProxy depends on, so the cap never makes them refuse a new client while idle or
/// trickling clients fill it: a new connection closes the least recently active *idle* one instead.
public struct ConnectionLimits: Sendable, Equatable {
    /// Open connections per listener; at the cap a new one evicts the least recently active idle one.
    public var maxConnections: Int
    /// From accepting a connection (or finishing a response) to a complete request head.
    public var idleTimeout: Duration
    /// From a request head to the end of its body.
    public var bodyTimeout: Duration
    /// Largest request body; a larger `content-length` gets 413, a longer chunked body is cut off.
    public var maxBody: Int

    public init(maxConnections: Int, idleTimeout: Duration, bodyTimeout: Duration, maxBody: Int) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.maxBody = maxBody
    }

    /// The HTTP API: admin bodies are small JSON documents.
    public static let api = ConnectionLimits(maxConnections: 512, idleTimeout: .seconds(10), bodyTimeout: .seconds(10),
                                             maxBody: 64 * 1024)
    /// The agent-check server answers within 200 ms anyway; the cap is what matters there.
    public static let agentCheck = ConnectionLimits(maxConnections: 256, idleTimeout: .seconds(1), bodyTimeout: .seconds(1),
                                                    maxBody: 128)
}

/// Why a connection was closed or refused by the guard (the `reason` label of
/// `hactl_connections_dropped_total`).
enum ConnectionDrop: String, Sendable, CaseIterable {
    /// Closed to make room for a new connection (the least recently active idle one).
    case evicted
    /// Refused at the cap because every open connection had a request in progress.
    case refused
    /// No complete request head within the idle timeout (idle keep-alive, or a trickled head).
    case idleTimeout = "idle_timeout"
    /// The body did not arrive within the body timeout.
    case bodyTimeout = "body_timeout"
    /// The body was larger than the limit.
    case oversized
}

/// Which connections are open, when each was last active and whether a request is in progress
/// (received whole, its response not yet sent; a client still sending a head or body is idle): the
/// pure part of the cap. `open` says which connection to close (if any) to stay within the cap.
struct ConnectionTable: Sendable {
    struct Entry: Sendable {
        var lastActive: ContinuousClock.Instant
        var busy: Bool
    }

    enum Admission: Equatable, Sendable {
        case admitted
        /// Admitted after evicting this connection.
        case admittedEvicting(UInt64)
        /// At the cap with no idle connection to evict: close the new one.
        case refused
    }

    let capacity: Int
    private(set) var entries: [UInt64: Entry] = [:]

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { entries.count }

    mutating func open(_ id: UInt64, now: ContinuousClock.Instant) -> Admission {
        var admission = Admission.admitted
        if entries.count >= capacity {
            let victim = entries.filter { !$0.value.busy }.min { a, b in
                a.value.lastActive != b.value.lastActive ? a.value.lastActive < b.value.lastActive : a.key < b.key
            }
            guard let victim else { return .refused }
            entries[victim.key] = nil
            admission = .admittedEvicting(victim.key)
        }
        entries[id] = Entry(lastActive: now, busy: false)
        return admission
    }

    mutating func update(_ id: UInt64, busy: Bool, now: ContinuousClock.Instant) {
        guard entries[id] != nil else { return }
        entries[id] = Entry(lastActive: now, busy: busy)
    }

    mutating func close(_ id: UInt64) { entries[id] = nil }
}

/// The cap of one listener, shared by its connections across event loops.
final class ConnectionLimiter: Sendable {
    let listener: String
    let limits: ConnectionLimits
    private let metrics: AgentMetrics
    private struct State {
        var table: ConnectionTable
        var channels: [UInt64: any Channel] = [:]
        var nextID: UInt64 = 0
    }
    private let state: Mutex<State>

    init(listener: String, limits: ConnectionLimits, metrics: AgentMetrics) {
        self.listener = listener
        self.limits = limits
        self.metrics = metrics
        self.state = Mutex(State(table: ConnectionTable(capacity: limits.maxConnections)))
    }

    /// Registers a new connection; nil when it was refused (it is being closed).
    func admit(_ channel: any Channel) -> UInt64? {
        let now = ContinuousClock.now
        let (id, admission, victim, open) = state.withLock { state -> (UInt64, ConnectionTable.Admission, (any Channel)?, Int) in
            state.nextID &+= 1
            let id = state.nextID
            let admission = state.table.open(id, now: now)
            var victim: (any Channel)?
            switch admission {
            case .admitted: state.channels[id] = channel
            case .admittedEvicting(let evicted):
                victim = state.channels.removeValue(forKey: evicted)
                state.channels[id] = channel
            case .refused: break
            }
            return (id, admission, victim, state.table.count)
        }
        metrics.connectionsOpen(listener).set(Double(open))
        switch admission {
        case .admitted: return id
        case .admittedEvicting:
            dropped(.evicted)
            victim?.close(promise: nil)
            return id
        case .refused:
            dropped(.refused)
            channel.close(promise: nil)
            return nil
        }
    }

    func update(_ id: UInt64, busy: Bool) {
        let now = ContinuousClock.now
        state.withLock { $0.table.update(id, busy: busy, now: now) }
    }

    func closed(_ id: UInt64) {
        let open = state.withLock { state in
            state.table.close(id)
            state.channels[id] = nil
            return state.table.count
        }
        metrics.connectionsOpen(listener).set(Double(open))
    }

    func dropped(_ reason: ConnectionDrop) {
        metrics.connectionsDropped(listener: listener, reason: reason).increment()
    }

    var openCount: Int { state.withLock { $0.table.count } }
}

extension AgentMetrics {
    func connectionsDropped(listener: String, reason: ConnectionDrop) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "hactl_connections_dropped", unitName: "total",
                helpText: "Connections closed or refused by the connection guard, by listener and reason"),
            labels: [("listener", listener), ("reason", reason.rawValue)])
    }

    func connectionsOpen(_ listener: String) -> Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "hactl_connections", unitName: "open",
                                             helpText: "Connections open on the listener"),
            labels: [("listener", listener)])
    }
}

/// Sits after the HTTP decoder of every API connection: registers it with the limiter, closes it when
/// no request head arrives within the idle timeout or its body within the body timeout, and answers
/// 413 (then closes) for a body over the limit, before the responder reads any of it.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limiter: ConnectionLimiter
    private var id: UInt64?
    private var timer: Scheduled<Void>?
    private var readingBody = false
    private var bodyBytes = 0
    /// Requests received whole and not yet answered.
    private var pending = 0
    /// The request being read was answered before its body ended.
    private var answeredEarly = false
    private var rejected = false

    init(limiter: ConnectionLimiter) { self.limiter = limiter }

    func handlerAdded(context ctx: ChannelHandlerContext) {
        if ctx.channel.isActive { start(ctx) }
    }

    func channelActive(context ctx: ChannelHandlerContext) {
        start(ctx)
        ctx.fireChannelActive()
    }

    private var started = false

    private func start(_ ctx: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        id = limiter.admit(ctx.channel)
        guard let id else { rejected = true; return }
        let limiter = self.limiter
        ctx.channel.closeFuture.whenComplete { _ in limiter.closed(id) }
        arm(ctx, limiter.limits.idleTimeout, .idleTimeout)
    }

    func handlerRemoved(context ctx: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context ctx: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        ctx.fireChannelInactive()
    }

    /// A client that half-closed without a request in progress is gone: free its descriptor now
    /// rather than at the idle timeout.
    func userInboundEventTriggered(context ctx: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event, pending == 0 {
            timer?.cancel()
            timer = nil
            ctx.close(promise: nil)
            return
        }
        ctx.fireUserInboundEventTriggered(event)
    }

    func channelRead(context ctx: ChannelHandlerContext, data: NIOAny) {
        guard !rejected else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            readingBody = true
            bodyBytes = 0
            // Still evictable: until its body has arrived, a request waits on the client, not on us.
            if let id { limiter.update(id, busy: pending > 0) }
            if let length = head.headerFields[.contentLength].flatMap({ Int($0) }), length > limiter.limits.maxBody {
                reject(ctx)
                return
            }
            arm(ctx, limiter.limits.bodyTimeout, .bodyTimeout)
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            if bodyBytes > limiter.limits.maxBody {
                rejected = true
                limiter.dropped(.oversized)
                ctx.close(promise: nil)
                return
            }
        case .end:
            readingBody = false
            if answeredEarly {
                // Its answer went out before the body ended (a 401, say): nothing is in progress.
                answeredEarly = false
                if pending == 0 { arm(ctx, limiter.limits.idleTimeout, .idleTimeout) }
            } else {
                pending += 1
                timer?.cancel()
                timer = nil
                if let id { limiter.update(id, busy: true) }
            }
        }
        ctx.fireChannelRead(data)
    }

    func write(context ctx: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            if pending == 0, readingBody { answeredEarly = true }
            pending = max(0, pending - 1)
            if pending == 0 {
                if let id { limiter.update(id, busy: false) }
                // An early answer (401 before the body) leaves the body timer running.
                if !readingBody { arm(ctx, limiter.limits.idleTimeout, .idleTimeout) }
            }
        }
        ctx.write(data, promise: promise)
    }

    private func reject(_ ctx: ChannelHandlerContext) {
        rejected = true
        timer?.cancel()
        timer = nil
        limiter.dropped(.oversized)
        let head = HTTPResponse(status: .contentTooLarge, headerFields: [.contentLength: "0", .connection: "close"])
        ctx.write(wrapOutboundOut(.head(head)), promise: nil)
        let channel = ctx.channel
        ctx.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    private func arm(_ ctx: ChannelHandlerContext, _ after: Duration, _ reason: ConnectionDrop) {
        timer?.cancel()
        let channel = ctx.channel
        let limiter = self.limiter
        timer = ctx.eventLoop.scheduleTask(in: TimeAmount(after)) {
            limiter.dropped(reason)
            channel.close(promise: nil)
        }
    }
}
