import CRabbitMQ
import HACore
#if canImport(Glibc)
import Glibc
#endif

/// Where and as whom the round trip connects: the node's controller address and `amqp.port`.
public struct AMQPTarget: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    /// Read (and checked) on every connect, so a rotated password is picked up by the next reconnect.
    public var passwordFile: String
    public var vhost: String

    public init(host: String, port: Int, user: String, passwordFile: String, vhost: String = "/") {
        self.host = host
        self.port = port
        self.user = user
        self.passwordFile = passwordFile
        self.vhost = vhost
    }

    /// The AMQP listener of the node whose controller address is `address`.
    public init(config: RabbitMQConfig, address: IPAddress) {
        self.init(host: address.description, port: config.amqp.port, user: config.amqp.user,
                  passwordFile: config.amqp.passwordFile, vhost: config.amqp.vhost)
    }

    public var description: String {
        host.contains(":") ? "\(user)@[\(host)]:\(port)\(vhost)" : "\(user)@\(host):\(port)\(vhost)"
    }
}

/// One open AMQP session ready for probe round trips. Confined to the thread that opened it; closed
/// (socket and all) when released.
protocol MQSession: AnyObject {
    /// Publishes one message carrying `id` and waits for its confirm and its delivery; blocking, and
    /// bounded by `deadline`. Any error leaves the session unusable: the caller drops it.
    func roundTrip(id: String, deadline: ContinuousClock.Instant) throws(MQError) -> MQRoundTrip
    /// Says goodbye to the broker (bounded, short) before release; only for a session still healthy.
    func close()
}

/// A librabbitmq connection with one channel in confirm mode, consuming its own exclusive,
/// auto-delete, server-named queue.
///
/// Threading: not Sendable. Created, used and released on one dedicated thread (``MQWorker``), as
/// librabbitmq requires of a connection. Every blocking call is bounded by the deadline it is given:
/// the socket open and each wait take a `timeval` of the time left, the handshake and RPCs use
/// `amqp_set_handshake_timeout` / `amqp_set_rpc_timeout` set to the time left.
final class AMQPConnection: MQSession {
    private static let channel: amqp_channel_t = 1
    private let state: amqp_connection_state_t
    /// The server-named queue, declared once per connection.
    private var queue: [UInt8] = []
    /// Publisher confirms count publishes on the channel from 1.
    private var nextTag: UInt64 = 1

    /// Connects, logs in, opens the channel, enables confirms, declares and consumes the queue;
    /// blocking, bounded by `deadline`.
    init(target: AMQPTarget, deadline: ContinuousClock.Instant) throws(MQError) {
        guard let state = amqp_new_connection() else {
            throw MQError(stage: .connect, message: "amqp_new_connection failed (out of memory)")
        }
        // From here on a throw runs deinit, which destroys the connection and its socket.
        self.state = state
        let password: String
        do { password = try SecretFile.read(target.passwordFile) } catch {
            throw MQError(stage: .password, message: error.message)
        }
        try open(target, deadline: deadline)
        try login(target, password: password, deadline: deadline)
        try setUp(deadline: deadline)
    }

    deinit {
        amqp_destroy_connection(state)
    }

    func close() {
        var quick = timeval(tv_sec: 0, tv_usec: 200_000)
        amqp_set_rpc_timeout(state, &quick)
        _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
    }

    // MARK: - Connecting

    private func open(_ target: AMQPTarget, deadline: ContinuousClock.Instant) throws(MQError) {
        guard let socket = amqp_tcp_socket_new(state) else {
            throw MQError(stage: .connect, message: "amqp_tcp_socket_new failed (out of memory)")
        }
        var limit = try Self.timeLeft(until: deadline, stage: .connect, what: "connect")
        errno = 0
        let status = amqp_socket_open_noblock(socket, target.host, Int32(clamping: target.port), &limit)
        var code = errno
        guard status == AMQP_STATUS_OK.rawValue else {
            // librabbitmq's non-blocking connect leaves errno at EINPROGRESS and drops SO_ERROR: ask
            // the kernel once more (a refused or unreachable connect answers at once).
            if status == AMQP_STATUS_SOCKET_ERROR.rawValue, code == EINPROGRESS || code == 0 {
                code = Self.connectErrno(host: target.host, port: target.port, deadline: deadline) ?? 0
            }
            throw Self.libraryError(status, stage: .connect, errno: code)
        }
    }

    /// The errno of a plain TCP connect to `host`:`port` (numeric), waiting at most 200 ms or until
    /// `deadline`; nil when it connects or the answer does not come in time.
    static func connectErrno(host: String, port: Int, deadline: ContinuousClock.Instant) -> Int32? {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else { return nil }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { Glibc.close(fd) }
        if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return nil }
        guard errno == EINPROGRESS else { return errno }
        let left = min(ContinuousClock.now.duration(to: deadline), .milliseconds(200))
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard left > .zero, poll(&poller, 1, Int32(left.components.attoseconds / 1_000_000_000_000_000 + left.components.seconds * 1000)) == 1 else {
            return nil
        }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
        return failure == 0 ? nil : failure
    }

    private func login(_ target: AMQPTarget, password: String, deadline: ContinuousClock.Instant) throws(MQError) {
        var limit = try Self.timeLeft(until: deadline, stage: .login, what: "login")
        amqp_set_handshake_timeout(state, &limit)
        amqp_set_rpc_timeout(state, &limit)
        let reply = AMQPLogin.plain(state, vhost: target.vhost, user: target.user, password: password)
        try check(reply, stage: .login)
    }

    private func setUp(deadline: ContinuousClock.Instant) throws(MQError) {
        try rpcTimeout(deadline, stage: .setup)
        amqp_channel_open(state, Self.channel)
        try check(amqp_get_rpc_reply(state), stage: .setup, what: "channel.open")
        try rpcTimeout(deadline, stage: .setup)
        amqp_confirm_select(state, Self.channel)
        try check(amqp_get_rpc_reply(state), stage: .setup, what: "confirm.select")
        try rpcTimeout(deadline, stage: .setup)
        // Exclusive + auto-delete: the queue lives exactly as long as this connection.
        let declared = amqp_queue_declare(state, Self.channel, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), stage: .setup, what: "queue.declare")
        guard let declared, declared.pointee.queue.len > 0 else {
            throw MQError(stage: .setup, message: "queue.declare returned no queue name")
        }
        queue = Self.bytes(declared.pointee.queue)
        try rpcTimeout(deadline, stage: .setup)
        // No-ack: the probe messages need no acknowledgement, and every error drops the connection.
        _ = withQueue { queue in
            amqp_basic_consume(state, Self.channel, queue, amqp_empty_bytes, 0, 1, 1, amqp_empty_table)
        }
        try check(amqp_get_rpc_reply(state), stage: .setup, what: "basic.consume")
        amqp_maybe_release_buffers(state)
    }

    // MARK: - Round trip

    func roundTrip(id: String, deadline: ContinuousClock.Instant) throws(MQError) -> MQRoundTrip {
        defer { amqp_maybe_release_buffers(state) }
        let tag = nextTag
        try publish(id: id)
        nextTag += 1
        let published = ContinuousClock.now
        var confirmed: Duration?
        var delivered: Duration?
        var content = ContentReader()
        while confirmed == nil || delivered == nil {
            let waitingFor = confirmed == nil ? "confirm" : "delivery"
            var limit = try Self.timeLeft(until: deadline, stage: .roundTrip, what: waitingFor)
            var frame = amqp_frame_t()
            let status = amqp_simple_wait_frame_noblock(state, &frame, &limit)
            guard status == AMQP_STATUS_OK.rawValue else {
                if status == AMQP_STATUS_TIMEOUT.rawValue { throw Self.timeout(stage: .roundTrip, what: waitingFor) }
                throw Self.libraryError(status, stage: .roundTrip, errno: errno)
            }
            switch Int32(frame.frame_type) {
            case AMQP_FRAME_METHOD:
                if try handleMethod(frame.payload.method, tag: tag) { confirmed = confirmed ?? ContinuousClock.now - published }
                if frame.payload.method.id == AMQPMethod.basicDeliver { content.start() }
            case AMQP_FRAME_HEADER, AMQP_FRAME_BODY:
                if content.feed(frame) == id { delivered = ContinuousClock.now - published }
            default:
                break
            }
        }
        return MQRoundTrip(roundTrip: delivered!, confirm: confirmed!)
    }

    /// `basic.publish` to the default exchange, routed to our queue, mandatory, transient.
    private func publish(id: String) throws(MQError) {
        var properties = amqp_basic_properties_t()
        properties._flags = amqp_flags_t(AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG)
        properties.delivery_mode = 1
        let status = id.withCString { text in
            properties.message_id = amqp_cstring_bytes(text)
            return withQueue { queue in
                amqp_basic_publish(state, Self.channel, amqp_empty_bytes, queue, 1, 0, &properties, amqp_cstring_bytes(text))
            }
        }
        guard status == AMQP_STATUS_OK.rawValue else { throw Self.libraryError(status, stage: .roundTrip, errno: errno) }
    }

    /// Acts on one method frame during a round trip; true when it confirms publish `tag`.
    private func handleMethod(_ method: amqp_method_t, tag: UInt64) throws(MQError) -> Bool {
        switch method.id {
        case AMQPMethod.basicAck:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            return ack.delivery_tag == tag || (ack.multiple != 0 && ack.delivery_tag >= tag)
        case AMQPMethod.basicNack:
            throw MQError(stage: .roundTrip, message: "the broker nacked the message")
        case AMQPMethod.basicReturn:
            let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            throw MQError(stage: .roundTrip, message: "message returned: \(Self.text(returned.reply_text))",
                          replyCode: Int(returned.reply_code))
        case AMQPMethod.connectionBlocked:
            let blocked = method.decoded.assumingMemoryBound(to: amqp_connection_blocked_t.self).pointee
            throw MQError(stage: .roundTrip, message: "connection blocked by the broker: \(Self.text(blocked.reason))")
        case AMQPMethod.channelClose, AMQPMethod.connectionClose:
            throw Self.closeError(method, stage: .roundTrip)
        default:
            return false
        }
    }

    // MARK: - Helpers

    private func withQueue<T>(_ body: (amqp_bytes_t) -> T) -> T {
        queue.withUnsafeMutableBytes { buffer in body(amqp_bytes_t(len: buffer.count, bytes: buffer.baseAddress)) }
    }

    private func rpcTimeout(_ deadline: ContinuousClock.Instant, stage: MQError.Stage) throws(MQError) {
        var limit = try Self.timeLeft(until: deadline, stage: stage, what: "the broker")
        amqp_set_rpc_timeout(state, &limit)
    }

    private func check(_ reply: amqp_rpc_reply_t, stage: MQError.Stage, what: String? = nil) throws(MQError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            throw Self.closeError(reply.reply, stage: stage)
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            var error = Self.libraryError(reply.library_error, stage: stage, errno: errno)
            if let what { error.message = "\(what): \(error.message)" }
            throw error
        default:
            throw MQError(stage: stage, message: "no reply\(what.map { " to \($0)" } ?? "")")
        }
    }

    /// The time left before `deadline` as a `timeval`, or a timeout error when there is none.
    static func timeLeft(until deadline: ContinuousClock.Instant, stage: MQError.Stage, what: String) throws(MQError) -> timeval {
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { throw timeout(stage: stage, what: what) }
        let (seconds, attoseconds) = left.components
        return timeval(tv_sec: Int(seconds), tv_usec: max(1, Int(attoseconds / 1_000_000_000_000)))
    }

    static func timeout(stage: MQError.Stage, what: String) -> MQError {
        MQError(stage: stage, message: "no \(what) in time", libraryStatus: AMQP_STATUS_TIMEOUT.rawValue, timedOut: true)
    }

    static func libraryError(_ status: Int32, stage: MQError.Stage, errno code: Int32) -> MQError {
        let text = amqp_error_string2(status).map { String(cString: $0) } ?? "unknown error"
        // errno is only meaningful for the socket-level statuses; elsewhere it is a stale leftover.
        let socketLevel = status == AMQP_STATUS_SOCKET_ERROR.rawValue || status == AMQP_STATUS_TCP_ERROR.rawValue
            || status == AMQP_STATUS_CONNECTION_CLOSED.rawValue || status == AMQP_STATUS_SOCKET_CLOSED.rawValue
        return MQError(stage: stage, message: text, libraryStatus: status, errno: socketLevel && code != 0 ? code : nil,
                       timedOut: status == AMQP_STATUS_TIMEOUT.rawValue)
    }

    /// A `connection.close` or `channel.close` from the broker: its reply code and text.
    static func closeError(_ method: amqp_method_t, stage: MQError.Stage) -> MQError {
        switch method.id {
        case AMQPMethod.connectionClose:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            return MQError(stage: stage, message: text(close.reply_text), replyCode: Int(close.reply_code))
        case AMQPMethod.channelClose:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            return MQError(stage: stage, message: "channel closed: \(text(close.reply_text))", replyCode: Int(close.reply_code))
        default:
            return MQError(stage: stage, message: "unexpected method 0x\(String(method.id, radix: 16))")
        }
    }

    static func bytes(_ value: amqp_bytes_t) -> [UInt8] {
        guard let base = value.bytes, value.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: value.len))
    }

    static func text(_ value: amqp_bytes_t) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }
}

/// Follows the content frames (header, then body) of one `basic.deliver` and yields the message id
/// once the whole message has arrived.
private struct ContentReader {
    private var active = false
    private var messageID: String?
    private var remaining: UInt64 = 0

    mutating func start() {
        active = true
        messageID = nil
        remaining = 0
    }

    /// The message id when `frame` completes a delivered message, else nil.
    mutating func feed(_ frame: amqp_frame_t) -> String? {
        guard active else { return nil }
        if Int32(frame.frame_type) == AMQP_FRAME_HEADER {
            remaining = frame.payload.properties.body_size
            if let decoded = frame.payload.properties.decoded {
                let properties = decoded.assumingMemoryBound(to: amqp_basic_properties_t.self).pointee
                if properties._flags & amqp_flags_t(AMQP_BASIC_MESSAGE_ID_FLAG) != 0 {
                    messageID = AMQPConnection.text(properties.message_id)
                }
            }
        } else {
            let length = UInt64(frame.payload.body_fragment.len)
            remaining = remaining > length ? remaining - length : 0
        }
        guard remaining == 0 else { return nil }
        active = false
        return messageID
    }
}

/// The method ids we act on (the C macros are casts, which Swift does not import).
enum AMQPMethod {
    static let connectionClose: amqp_method_number_t = 0x000A_0032
    static let connectionBlocked: amqp_method_number_t = 0x000A_003C
    static let channelClose: amqp_method_number_t = 0x0014_0028
    static let basicReturn: amqp_method_number_t = 0x003C_0032
    static let basicDeliver: amqp_method_number_t = 0x003C_003C
    static let basicAck: amqp_method_number_t = 0x003C_0050
    static let basicNack: amqp_method_number_t = 0x003C_0078
}
