import HACore

/// One VRRP ADVERTISEMENT as the state machine sees it, independent of the wire version.
///
/// VRRPv3 (RFC 9568, formerly RFC 5798) carries the interval in centiseconds (12 bits, 10 ms ...
/// 40.95 s) and no authentication. VRRPv2 (RFC 3768) carries whole seconds (8 bits) and 8 bytes of
/// authentication data; hactl supports auth type 0 (none) and 1 (simple text password, keepalived's
/// `auth_type PASS`). VRRPv2 is IPv4 only. A plain value, safe to share between threads.
public struct VRRPAdvertisement: Sendable, Equatable {
    /// 2 or 3.
    public var version: Int
    /// Virtual router ID, 1...255 (0 is reserved but still decoded).
    public var vrid: UInt8
    /// 0 = the master is leaving, 255 = address owner.
    public var priority: UInt8
    /// Max Advertise Interval (v3) or Advertisement Interval (v2).
    ///
    /// Encoding truncates toward zero to the wire unit (centiseconds for v3, seconds for v2) and clamps
    /// to the field's range (1...4095 cs, 1...255 s); rejecting unusable values is config validation's job.
    public var maxAdvertInterval: Duration
    /// The virtual addresses, all of the packet's family. Encoding needs 1...255 of them.
    public var addresses: [IPAddress]
    /// v2 only: the simple text password (auth type 1), or nil for auth type 0.
    ///
    /// On the wire it is truncated or zero-padded to 8 bytes, as keepalived does; decoding strips the
    /// trailing zero bytes again. Ignored when encoding v3; always nil when decoded from v3.
    public var authPass: [UInt8]?

    /// Builds an advertisement; see the properties for the ranges the encoder accepts.
    public init(
        version: Int = 3,
        vrid: UInt8,
        priority: UInt8,
        maxAdvertInterval: Duration,
        addresses: [IPAddress],
        authPass: [UInt8]? = nil
    ) {
        self.version = version
        self.vrid = vrid
        self.priority = priority
        self.maxAdvertInterval = maxAdvertInterval
        self.addresses = addresses
        self.authPass = authPass
    }
}
