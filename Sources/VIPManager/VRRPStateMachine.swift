import HACore

/// The VRRP state machine of one virtual router: RFC 5798 (VRRPv3) as updated by RFC 9568, plus VRRPv2
/// (RFC 3768) timing, as a pure value: `(state, event, now) -> (state, actions)`.
///
/// No I/O, no clock, no sleeping: the driver feeds events with the current monotonic time, executes
/// the returned actions in order, and calls ``handle(_:now:)`` with ``Event/timerFired`` once `now`
/// reaches ``nextDeadline``. Adverts must already be validated by the codec (version, VRID, TTL,
/// checksum, authentication); the machine trusts them.
///
/// Besides the RFC states it has ``State/fault`` (keepalived's FAULT): a tracked check with weight
/// `fault`, or an effective priority of 0, takes the router out of the election without adverts.
///
/// RFC interpretations (where the text leaves room) are documented on the handlers in
/// `VRRPStateMachine+Events.swift`; the short list:
/// - Becoming Master, actions are `addAddresses, announce, sendAdvert`: the addresses are up and
///   announced before the advert that makes a lower-priority Master release them, so a planned
///   handover never has an instant with no holder (RFC 5798 lists "send advert" first; with a shared
///   virtual MAC the order does not matter, with the node's own MAC as hactl uses it does).
/// - A Master hearing a lower-priority advert sends an advert at once (RFC 9568 §6.4.3) and re-announces
///   the addresses (keepalived's `garp_lower_prio_repeat`), at most once per
///   ``contenderAnnounceHoldOff``, because the contender may have stolen ARP caches while it believed it
///   was Master.
/// - `preempt_delay` holds off the RFC preemption path: for `preemptDelay` after the first
///   lower-priority advert (since startup or since our priority rose) such adverts are accepted like a
///   higher-priority one; afterwards they are discarded and Master_Down fires. It never delays taking
///   over from a Master that went silent or sent priority 0.
/// - VRRPv2 never learns the Master's interval (RFC 3768: the field is informational) and its Skew_Time
///   is `(256 - Priority) / 256` seconds.
///
/// Thread safety: a plain value; each copy is owned by one driver (typically an actor).
public struct VRRPStateMachine: Sendable, Equatable {
    /// The states of RFC 5798 §6.4 (Master is RFC 9568's "Active"), plus keepalived's Fault.
    public enum State: String, Sendable {
        /// Not started (before ``Event/startup`` or after ``Event/shutdown``); no timers, no addresses.
        case initialize
        /// Watching the Master; the Master_Down timer runs.
        case backup
        /// Holding the addresses and advertising; the Adver timer runs.
        case master
        /// Started but unable to serve (tracked fault or priority 0); silent, no addresses, no timers.
        case fault
    }

    /// The configuration of one virtual router on this node; fixed for the machine's lifetime.
    public struct Parameters: Sendable, Equatable {
        /// Virtual router ID, 1...255 (informational here: the codec filters other VRIDs).
        public var vrid: UInt8
        /// Configured priority: 1...254, or 255 for the address owner (always Master when it can be).
        public var basePriority: Int
        /// Our Advertisement_Interval; also the Master_Adver_Interval until one is learned (v3).
        public var advertInterval: Duration
        /// Preempt_Mode: a higher-priority Backup takes over from a lower-priority Master.
        /// The address owner (priority 255) preempts regardless (RFC 5798 §6.1).
        public var preempt: Bool
        /// Hold-off before the preemption path starts; see the type's documentation.
        public var preemptDelay: Duration
        /// This node's primary address on the VRRP interface (the advert source), for priority ties.
        public var primaryAddress: IPAddress
        /// VRRP version on the wire: 3 (default) or 2.
        public var version: Int

        public init(vrid: UInt8, basePriority: Int, advertInterval: Duration = .milliseconds(100),
                    preempt: Bool = true, preemptDelay: Duration = .zero, primaryAddress: IPAddress,
                    version: Int = 3) {
            self.vrid = vrid
            self.basePriority = basePriority
            self.advertInterval = advertInterval
            self.preempt = preempt
            self.preemptDelay = preemptDelay
            self.primaryAddress = primaryAddress
            self.version = version
        }
    }

    /// Inputs to the machine. Each is handled at the `now` passed with it.
    public enum Event: Sendable, Equatable {
        /// Start the router: Initialize -> Backup, or Master for the address owner (§6.4.1).
        case startup
        /// Stop the router: a Master sends priority 0 and releases the addresses; -> Initialize.
        case shutdown
        /// `now` reached ``nextDeadline`` (an early call is ignored).
        case timerFired
        /// A validated advertisement for our VRID: its priority, its (Max) Advertise Interval, and its
        /// IP source address.
        case advert(priority: UInt8, maxAdvertInterval: Duration, source: IPAddress)
        /// The effective priority after tracking/drain: clamped to 1...254 (255 only for an owner whose
        /// base is 255); exactly 0 means "cannot serve" and behaves like a fault.
        case priorityAdjusted(Int)
        /// The router cannot serve (true: a tracked check with weight `fault` failed, the link is down,
        /// ...; `cause` says which, for the transition's reason) or can again (false).
        case fault(Bool, cause: FaultCause = .trackedCheck)
        /// Planned handover to this node: a Backup becomes Master at once, ignoring preempt and
        /// preempt_delay. The driver raises our priority first (``priorityAdjusted(_:)``) so the old
        /// Master yields when it hears us.
        case takeover
    }

    /// Effects for the driver, executed in the order returned.
    public enum Action: Sendable, Equatable {
        /// Send one advertisement with this priority and our advertInterval.
        case sendAdvert(priority: UInt8)
        /// Add the virtual addresses to the interface.
        case addAddresses
        /// Gratuitous ARP / unsolicited NA burst for the virtual addresses.
        case announce
        /// Remove the virtual addresses from the interface.
        case removeAddresses
        /// The state changed; for logs (at `notice`), metrics and notify hooks. Comes after the effects
        /// of the change.
        case transition(from: State, to: State, reason: String)
    }

    /// Why a router is in Fault; its text follows "fault: " in the transition's reason.
    public enum FaultCause: Sendable, Equatable, CustomStringConvertible {
        /// A tracked check with weight `fault` fails.
        case trackedCheck
        /// The VIP's interface is down, has no carrier, or is gone.
        case linkDown(interface: String)
        /// The VRRP socket of the VIP's interface cannot be (re-)opened.
        case socketFailed(interface: String)
        /// No address to send adverts from (IPv6: no usable link-local address yet).
        case noAdvertSource(String)

        public var description: String {
            switch self {
            case .trackedCheck: "tracked check failed"
            case .linkDown(let interface): "interface \(interface) is down or has no carrier"
            case .socketFailed(let interface): "vrrp socket on \(interface) cannot be opened"
            case .noAdvertSource(let reason): reason
            }
        }
    }

    /// The least time between two re-announcements triggered by lower-priority adverts, so a
    /// contender that keeps advertising (one-way link) cannot turn us into a GARP storm.
    public static let contenderAnnounceHoldOff: Duration = .seconds(1)

    /// The configuration this machine was built with.
    /// Fixed but for `primaryAddress`, which the engine updates when the advert source changes
    /// (an IPv6 VIP's link-local address is looked up after start).
    public internal(set) var parameters: Parameters
    /// The current state.
    public internal(set) var state: State = .initialize
    /// The priority we advertise and compare with: the base priority until ``Event/priorityAdjusted(_:)``.
    public internal(set) var effectivePriority: Int
    /// Master_Adver_Interval: learned from the Master's adverts in Backup (v3), our own interval otherwise.
    public internal(set) var masterAdvertInterval: Duration
    /// Who we believe is Master: the last advert's source in Backup, us in Master, nil when unknown.
    public internal(set) var masterAddress: IPAddress?
    /// True while a tracked check with weight `fault` reports a failure (kept across shutdown/startup).
    public internal(set) var isFaulted = false
    /// Why, while ``isFaulted``.
    public internal(set) var faultCause: FaultCause = .trackedCheck

    /// The armed timer: Adver timer (Master) or Master_Down timer (Backup); nil otherwise.
    var deadline: MonotonicInstant?
    /// When a lower-priority advert first made this Backup eligible to preempt (preempt_delay).
    var preemptEligibleSince: MonotonicInstant?
    /// When we last announced the addresses (rate limit of contender re-announcements).
    var lastAnnouncedAt: MonotonicInstant?

    /// A machine in ``State/initialize``.
    ///
    /// Preconditions (programmer errors; config validation rejects them first): base priority 1...255,
    /// a positive advert interval, a non-negative preempt delay, version 2 or 3.
    public init(parameters: Parameters) {
        precondition((1...255).contains(parameters.basePriority), "VRRP priority must be 1...255")
        precondition(parameters.advertInterval > .zero, "VRRP advert interval must be positive")
        precondition(parameters.preemptDelay >= .zero, "preempt delay must not be negative")
        precondition(parameters.version == 2 || parameters.version == 3, "VRRP version must be 2 or 3")
        self.parameters = parameters
        self.effectivePriority = parameters.basePriority
        self.masterAdvertInterval = parameters.advertInterval
    }

    /// When the driver must send ``Event/timerFired``: the Adver timer in Master, the Master_Down timer
    /// in Backup, nil in Initialize and Fault.
    ///
    /// preempt_delay needs no deadline of its own: it only decides whether a lower-priority advert
    /// resets the Master_Down timer.
    public var nextDeadline: MonotonicInstant? { deadline }

    /// Skew_Time: `((256 - Priority) * Master_Adver_Interval) / 256` (v3, RFC 5798 §6.1);
    /// `(256 - Priority) / 256` seconds for v2 (RFC 3768). Uses the effective priority.
    public var skewTime: Duration {
        let weight = 256 - min(max(effectivePriority, 0), 255)
        if parameters.version == 2 {
            return Duration.seconds(weight) / 256
        }
        return (masterAdvertInterval * weight) / 256
    }

    /// Master_Down_Interval: `3 * Master_Adver_Interval + Skew_Time`.
    public var masterDownInterval: Duration {
        masterAdvertInterval * 3 + skewTime
    }

    /// Applies `event` at `now` and returns the actions to execute, in order.
    ///
    /// Pure and synchronous; `now` must not go backwards between calls. The driver executes one
    /// returned list completely before it hands the machine its next event (an actor that awaits
    /// between actions must queue events meanwhile), otherwise a stale `addAddresses` could run after
    /// the machine already left Master. After executing, it re-reads ``nextDeadline``.
    public mutating func handle(_ event: Event, now: MonotonicInstant) -> [Action] {
        switch event {
        case .startup:
            return startup(now: now)
        case .shutdown:
            return shutdown()
        case .timerFired:
            return timerFired(now: now)
        case .advert(let priority, let interval, let source):
            return receiveAdvert(priority: Int(priority), interval: interval, source: source, now: now)
        case .priorityAdjusted(let requested):
            return adjustPriority(to: requested, now: now)
        case .fault(let failing, let cause):
            return setFault(failing, cause: cause, now: now)
        case .takeover:
            return takeover(now: now)
        }
    }
}
