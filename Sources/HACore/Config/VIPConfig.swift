/// One virtual IP: a VRRP virtual router that every controller runs.
public struct VIPConfig: Sendable, Equatable {
    /// Unique among VIPs; used in `/health/vip/NAME` and the CLI.
    public var name: String
    /// Virtual router id, 1...255; unique per interface and address family.
    public var vrid: Int
    /// The interface the addresses go on and adverts are sent from.
    public var interface: String
    /// One address family per VIP (VRRP runs one virtual router per family).
    public var addresses: [IPNetwork]
    /// Controller name -> base priority (1...254); every controller has one.
    public var priorities: [String: Int]
    /// Default 100ms for VRRPv3 (multiple of 10ms, 10ms...40.95s), 1s for VRRPv2 (whole seconds, 1...255).
    public var advertInterval: Duration
    /// 3 (default) or 2.
    public var version: Int
    /// VRRPv2 PASS authentication: absolute path of the file holding the password.
    public var authPassFile: String?
    /// A higher-priority backup takes over from a lower-priority master. Default true.
    public var preempt: Bool
    /// How long after start a backup waits before preempting. Default zero.
    public var preemptDelay: Duration
    /// Adverts go to the other controllers' addresses instead of the multicast group.
    public var unicast: Bool
    /// Checks this VIP follows, in file order.
    public var track: [TrackEntry]
    /// Extra advert sources accepted besides the controllers (e.g. keepalived peers). Empty: controllers only.
    public var acceptFrom: [IPAddress]
    public var garp: GARPConfig
    /// Command run on every state change (absolute path), or nil.
    public var notify: String?
    /// The notify command is killed after this long. Default 5s.
    public var notifyTimeout: Duration

    public init(
        name: String, vrid: Int, interface: String, addresses: [IPNetwork], priorities: [String: Int],
        advertInterval: Duration = .milliseconds(100), version: Int = 3, authPassFile: String? = nil,
        preempt: Bool = true, preemptDelay: Duration = .zero, unicast: Bool = false, track: [TrackEntry] = [],
        acceptFrom: [IPAddress] = [], garp: GARPConfig = GARPConfig(), notify: String? = nil,
        notifyTimeout: Duration = .seconds(5)
    ) {
        self.name = name
        self.vrid = vrid
        self.interface = interface
        self.addresses = addresses
        self.priorities = priorities
        self.advertInterval = advertInterval
        self.version = version
        self.authPassFile = authPassFile
        self.preempt = preempt
        self.preemptDelay = preemptDelay
        self.unicast = unicast
        self.track = track
        self.acceptFrom = acceptFrom
        self.garp = garp
        self.notify = notify
        self.notifyTimeout = notifyTimeout
    }
}

/// A check a VIP tracks and what its failure does to the VIP.
public struct TrackEntry: Sendable, Equatable, Hashable {
    /// A name from `checks:`, or a module verdict: `galera`, `rabbitmq`.
    public var check: String
    public var effect: TrackEffect

    public init(check: String, effect: TrackEffect) {
        self.check = check
        self.effect = effect
    }
}

/// What a failing tracked check does.
public enum TrackEffect: Sendable, Equatable, Hashable {
    /// Add this to the priority while the check fails (-253...253; usually negative).
    case weight(Int)
    /// Go to FAULT (give the VIP up, never take it) while the check fails.
    case fault
}

/// Gratuitous ARP / unsolicited NA on takeover.
public struct GARPConfig: Sendable, Equatable {
    /// How many to send on takeover (1...100). Default 5.
    public var count: Int
    /// Gap between them. Default 100ms.
    public var delay: Duration
    /// Repeat the burst this often while master; `.zero` (default) = never.
    public var refresh: Duration

    public init(count: Int = 5, delay: Duration = .milliseconds(100), refresh: Duration = .zero) {
        self.count = count
        self.delay = delay
        self.refresh = refresh
    }
}
