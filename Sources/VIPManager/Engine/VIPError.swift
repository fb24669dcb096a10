import HACore

/// Errors of the VIP module, with the raw cause.
public enum VIPError: Error, CustomStringConvertible, Sendable, Equatable {
    case netlink(String)
    case socket(String)
    case secret(String)
    case unknownVIP(String)
    case refused(String)
    case timedOut(String)
    case stopped

    public var description: String {
        switch self {
        case .netlink(let m): "netlink: \(m)"
        case .socket(let m): "vrrp socket: \(m)"
        case .secret(let m): m
        case .unknownVIP(let n): "no vip named \(n)"
        case .refused(let m): m
        case .timedOut(let m): m
        case .stopped: "the VIP engine is stopped"
        }
    }
}
