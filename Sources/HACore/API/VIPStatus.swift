/// One VIP as one node sees it: the JSON of `GET /v1/vip` (a list) and of `hactl vip status`.
public struct VIPStatus: Codable, Sendable, Equatable {
    public var name: String
    public var vrid: Int
    /// `initialize`, `backup`, `master` or `fault`.
    public var state: String
    /// The priority this node advertises now (after tracking, drain and handover pins).
    public var priority: Int
    /// The configured priority of this node.
    public var basePriority: Int
    /// Who this node believes is master (its address), if known.
    public var master: String?
    public var pinned: Bool
    /// Why the priority differs from the base (failing tracked checks, drain, pin, link down).
    public var priorityReasons: [String]
    public var lastTransition: Transition?
    public var advertsSent: Int
    public var advertsReceived: Int
    /// Dropped packets by reason (TTL, checksum, ...).
    public var dropped: [String: Int]

    /// The VRRP states `state` names, as a value for code to decide on (`state` stays a string on
    /// the wire, so a newer agent's state does not break an older CLI).
    public enum Role: String, Sendable {
        case initialize, backup, master, fault
    }

    /// `state` as a ``Role``; nil for a state this build does not know.
    public var role: Role? { Role(rawValue: state) }

    public struct Transition: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        public var reason: String
        /// Wall-clock time, Unix seconds.
        public var at: Double
        public init(from: String, to: String, reason: String, at: Double) {
            self.from = from; self.to = to; self.reason = reason; self.at = at
        }
    }

    public init(name: String, vrid: Int, state: String, priority: Int, basePriority: Int, master: String?, pinned: Bool,
                priorityReasons: [String], lastTransition: Transition?, advertsSent: Int, advertsReceived: Int,
                dropped: [String: Int]) {
        self.name = name; self.vrid = vrid; self.state = state; self.priority = priority; self.basePriority = basePriority
        self.master = master; self.pinned = pinned; self.priorityReasons = priorityReasons
        self.lastTransition = lastTransition; self.advertsSent = advertsSent; self.advertsReceived = advertsReceived
        self.dropped = dropped
    }

    enum CodingKeys: String, CodingKey {
        case name, vrid, state, priority, master, pinned, dropped
        case basePriority = "base_priority"
        case priorityReasons = "priority_reasons"
        case lastTransition = "last_transition"
        case advertsSent = "adverts_sent"
        case advertsReceived = "adverts_received"
    }
}

/// Body of `POST /v1/vip/NAME/takeover`.
public struct TakeoverRequest: Codable, Sendable, Equatable {
    /// Pin: keep the top priority (254) until the next handover, a drain, or an agent restart.
    public var pin: Bool
    public init(pin: Bool) { self.pin = pin }
}
