import HACore

/// One VIP at runtime on the engine thread: the pure state machine plus what executing its actions
/// needs. Thread-confined to the engine thread.
struct VIPInstance {
    let config: VIPConfig
    let index: Int
    var machine: VRRPStateMachine
    let policy: VRRPReceivePolicy
    let socketKey: SocketKey
    /// Multicast group, or the peers' addresses for unicast.
    let destinations: [IPAddress]
    /// The advert source (IPv6: the interface's link-local address); unavailable puts the VIP in Fault.
    var advertSource: AdvertSource
    let authPass: [UInt8]?
    let label: String?

    var pinned = false
    var priority: VIPPriority.Result
    /// Announcements still to send (GARP/NA burst) and the next periodic refresh.
    var announceAt: [MonotonicInstant] = []
    var refreshAt: MonotonicInstant?
    /// A release waiting out its grace period (see `VRRPEngine.releaseGrace`).
    var removeAt: MonotonicInstant?
    var lastTransition: VIPStatus.Transition?
    var advertsSent = 0
    var advertsReceived = 0
    var dropped: [String: Int] = [:]
    /// Callers of `takeover` waiting for this VIP to become Master.
    var takeoverWaiters: [(deadline: MonotonicInstant, reply: @Sendable (Result<Void, VIPError>) -> Void)] = []

    struct SocketKey: Hashable {
        var interface: String
        var family: VRRPReceivePolicy.Family
    }

    var name: String { config.name }
    var vrid: UInt8 { UInt8(config.vrid) }

    func advertisement(priority: UInt8) -> VRRPAdvertisement {
        VRRPAdvertisement(version: config.version, vrid: vrid, priority: priority,
                          maxAdvertInterval: config.advertInterval,
                          addresses: config.addresses.map(\.address), authPass: authPass)
    }

    func status(base: Int) -> VIPStatus {
        VIPStatus(name: name, vrid: config.vrid, state: machine.state.rawValue, priority: machine.effectivePriority,
                  basePriority: base, master: machine.masterAddress?.description, pinned: pinned,
                  priorityReasons: priority.reasons, lastTransition: lastTransition,
                  advertsSent: advertsSent, advertsReceived: advertsReceived, dropped: dropped)
    }
}

/// Errors of the VIP module, with the raw cause.
public enum VIPError: Error, CustomStringConvertible, Sendable {
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
