#if canImport(Glibc)
import Glibc
#endif

/// Why a `VRRPSocket` call failed, carrying the raw cause.
public enum VRRPSocketError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A system call failed. `call` names it (with the socket option for `setsockopt`), `errno` is the
    /// raw error number; `description` adds the `strerror` text.
    case system(call: String, errno: Int32)
    /// No interface of that name exists in the network namespace of the thread that opened the socket.
    case interfaceNotFound(String)
    /// An address of the other family was given (a source or destination the socket cannot use).
    /// Config can lead here (an IPv6 VIP on IPv4 controllers), so it is an error, never a trap.
    case addressFamily(String)

    /// One line for logs: `sendmsg: Resource temporarily unavailable (errno 11)`.
    public var description: String {
        switch self {
        case .system(let call, let code):
            "\(call): \(String(cString: strerror(code))) (errno \(code))"
        case .interfaceNotFound(let name):
            "network interface '\(name)' not found"
        case .addressFamily(let message):
            message
        }
    }

    /// True when a non-blocking call would have blocked (EAGAIN/EWOULDBLOCK): for `send`, the socket's
    /// send buffer was full and the advert was not sent; the caller counts it and carries on.
    public var wouldBlock: Bool {
        if case .system(_, let code) = self { return code == EAGAIN || code == EWOULDBLOCK }
        return false
    }
}
