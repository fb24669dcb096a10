/// A part of a RabbitMQ probe that failed, with the raw cause: the AMQP reply code and text, the
/// librabbitmq status and `amqp_error_string2`, errno, or the management API's HTTP status and body.
///
/// `description` is one line, and is what the verdict shows after its prefix:
/// `connect: a socket error occurred (status -9, errno 111 Connection refused)`,
/// `login: ACCESS_REFUSED - Login was refused ... (reply 403)`, `round trip: no delivery within 2s`,
/// `HTTP 401: Login failed`. It never contains a password.
public struct MQError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which step failed.
    public enum Stage: String, Sendable, Equatable, Codable {
        /// Reading `password_file` (AMQP or management).
        case password
        /// Opening the TCP connection to the AMQP port.
        case connect
        /// The AMQP handshake and authentication (`amqp_login`).
        case login
        /// Setting up the probe's channel: open, `confirm.select`, queue declare, consume.
        case setup
        /// Publish, confirm and delivery of one probe message.
        case roundTrip = "round trip"
        /// A management API call (HTTP, status or JSON).
        case management
    }

    public var stage: Stage
    /// What went wrong, in the library's or broker's words (`ACCESS_REFUSED - ...`, `Login failed`).
    public var message: String
    /// The AMQP reply code of a `connection.close`, `channel.close` or `basic.return` (403, 312, 320...).
    public var replyCode: Int?
    /// The librabbitmq status (`amqp_status_enum`, negative), when the library reported the failure.
    public var libraryStatus: Int32?
    /// errno at the failure, when a system call was involved.
    public var errno: Int32?
    /// The management API's HTTP status, when it answered with one we could not use.
    public var httpStatus: Int?
    /// The step ran out of time (the broker did not answer): the verdict treats the part as unanswered.
    public var timedOut: Bool

    public init(stage: Stage, message: String, replyCode: Int? = nil, libraryStatus: Int32? = nil,
                errno: Int32? = nil, httpStatus: Int? = nil, timedOut: Bool = false) {
        self.stage = stage
        self.message = message
        self.replyCode = replyCode
        self.libraryStatus = libraryStatus
        self.errno = errno
        self.httpStatus = httpStatus
        self.timedOut = timedOut
    }

    public var description: String {
        var details: [String] = []
        if let replyCode { details.append("reply \(replyCode)") }
        if let libraryStatus { details.append("status \(libraryStatus)") }
        if let errno, errno != 0 { details.append("errno \(errno) \(Self.errnoText(errno))") }
        let suffix = details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"
        switch stage {
        case .management:
            if let httpStatus { return message.isEmpty ? "HTTP \(httpStatus)" : "HTTP \(httpStatus): \(message)" }
            return message + suffix
        default:
            return "\(stage.rawValue): \(message)\(suffix)"
        }
    }

    /// Whether the connection itself is in doubt (broken socket, closed by the broker, timed out), so a
    /// kept connection is worth replacing within the same probe, as opposed to a broker that answered.
    var connectionLost: Bool {
        guard stage == .roundTrip || stage == .setup else { return false }
        return replyCode == 320 || libraryStatus.map(Self.connectionStatuses.contains) ?? false
    }

    /// `AMQP_STATUS_CONNECTION_CLOSED` (-0x7), `_SOCKET_ERROR` (-0x9), `_SOCKET_CLOSED` (-0x11) and
    /// `_TCP_ERROR` (-0x100): what a kept connection that died under us reports. Not `_TIMEOUT`: a
    /// broker that does not answer in time is not retried.
    static let connectionStatuses: Set<Int32> = [-0x7, -0x9, -0x11, -0x100]

    static func errnoText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
