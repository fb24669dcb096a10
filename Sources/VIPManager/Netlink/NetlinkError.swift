#if canImport(Glibc)
import Glibc
#endif
import CNetlink

/// Why an address or announcement operation failed, with the raw cause.
///
/// `code` is libnl's error code (a positive `NLE_*` value, message from `nl_geterror`) for netlink
/// calls, and `errno` (message from `strerror`) for plain socket calls; `op` names which one it was.
public enum NetlinkError: Error, CustomStringConvertible, Equatable {
    /// A socket could not be opened or configured (netlink, packet or ICMPv6 raw socket).
    case socket(code: Int32, message: String)
    /// No interface of that name exists in the network namespace the socket was opened in.
    case interfaceNotFound(String)
    /// The kernel (or libnl) refused an operation.
    case operation(op: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case .socket(let code, let message):
            return "socket: \(message) (\(code))"
        case .interfaceNotFound(let name):
            return "interface \(name) not found"
        case .operation(let op, let code, let message):
            return "\(op): \(message) (\(code))"
        }
    }

    /// An error from a libnl call that returned the negative code `result`.
    static func libnl(_ op: String, _ result: Int32) -> NetlinkError {
        .operation(op: op, code: abs(result), message: libnlMessage(result))
    }

    /// An error from a system call that failed with `errno`.
    static func system(_ op: String, _ errnoValue: Int32) -> NetlinkError {
        .operation(op: op, code: errnoValue, message: systemMessage(errnoValue))
    }

    static func libnlMessage(_ result: Int32) -> String {
        String(cString: nl_geterror(result))
    }

    static func systemMessage(_ errnoValue: Int32) -> String {
        String(cString: strerror(errnoValue))
    }
}
