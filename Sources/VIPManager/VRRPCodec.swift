import HACore

/// What a receiver accepts: the checks `VRRPCodec.decode` applies beyond well-formedness.
///
/// One policy per receiving socket and family; it may cover several virtual routers (`vrids`).
public struct VRRPReceivePolicy: Sendable {
    /// IP version of the packets, and so the size of the addresses they carry.
    public enum Family: Sendable, Hashable {
        case v4
        case v6

        /// The family of an address.
        public init(of address: IPAddress) {
            self = address.isIPv4 ? .v4 : .v6
        }
    }

    /// 2 or 3: packets of the other version are dropped (`version`).
    public var version: Int
    /// The virtual routers this receiver serves; other VRIDs are dropped (`vrid`).
    public var vrids: Set<UInt8>
    /// v2 only. Set: the packet must carry auth type 1 and this password (truncated or zero-padded to
    /// 8 bytes). Nil: the packet must carry auth type 0. Anything else is dropped (`auth`).
    public var authPass: [UInt8]?
    /// v2 only, optional: RFC 3768 §7.1 makes a receiver drop adverts whose interval differs from its
    /// own (keepalived does). Nil skips that check. v3 backups adopt the master's interval instead.
    public var requiredAdvertInterval: Duration?
    /// Allowed senders (the controllers' addresses); empty allows any sender.
    public var allowedSources: Set<IPAddress>
    /// IPv6 only: also accept any link-local sender (fe80::/10). RFC 9568 §5.1.2.1 makes every IPv6
    /// advert come from the sender's link-local address, which the controllers' (IPv4 or global)
    /// addresses in `allowedSources` can never match. Safe because the socket is bound to the VIP's
    /// interface and the hop limit must be 255: only a node on that segment can send one. Default true.
    public var acceptLinkLocal: Bool
    /// The family the socket receives; v2 exists only for `.v4`.
    public var family: Family

    /// Builds a policy; see the properties.
    public init(
        version: Int = 3,
        vrids: Set<UInt8>,
        authPass: [UInt8]? = nil,
        requiredAdvertInterval: Duration? = nil,
        allowedSources: Set<IPAddress> = [],
        acceptLinkLocal: Bool = true,
        family: Family
    ) {
        self.version = version
        self.vrids = vrids
        self.authPass = authPass
        self.requiredAdvertInterval = requiredAdvertInterval
        self.allowedSources = allowedSources
        self.acceptLinkLocal = acceptLinkLocal
        self.family = family
    }
}

/// Encodes and decodes VRRP messages (the payload of IP protocol 112), versions 2 and 3.
///
/// Pure functions, no I/O: the caller's socket builds the IP header on send and supplies the
/// addresses and TTL/hop limit on receive. Thread-safe.
///
/// Checksums: v3 over the pseudo-header + message (RFC 9568 §5.2.8; for IPv4 the pseudo-header
/// src, dst, zero, protocol 112, VRRP length, as keepalived sends it; for IPv6 the RFC 8200 §8.1
/// pseudo-header with next header 112); v2 over the message alone (RFC 3768 §5.3.8).
public enum VRRPCodec {
    /// IP protocol number of VRRP.
    public static let ipProtocol: UInt8 = 112
    /// The TTL / hop limit every VRRP packet is sent with and must arrive with.
    public static let requiredTTL = 255
    /// 224.0.0.18, the IPv4 VRRP multicast group.
    public static let multicastGroupIPv4 = IPAddress.v4(0xE000_0012)
    /// ff02::12, the IPv6 VRRP multicast group.
    public static let multicastGroupIPv6 = IPAddress.v6(0xFF02_0000_0000_0000_0000_0000_0000_0012)

    /// Builds the VRRP message (no IP header) for `adv`, checksummed for `source` -> `destination`.
    ///
    /// `destination` is the multicast group, or the peer's address for unicast adverts (v3 covers it
    /// with the checksum, so each unicast peer gets its own message). For IPv6 `source` must be the
    /// interface's link-local address (RFC 9568 §5.1.2.1); the codec cannot know, the engine does.
    /// - Throws: `VRRPEncodingError` when the advert cannot be put on the wire: version not 2 or 3,
    ///   not 1...255 addresses, addresses / source / destination of different families, v2 over IPv6.
    ///   Everything here can follow from a config (an IPv6 VIP on IPv4 controllers once trapped), so
    ///   it is an error the caller handles, never a trap.
    public static func encode(
        _ adv: VRRPAdvertisement, source: IPAddress, destination: IPAddress
    ) throws(VRRPEncodingError) -> [UInt8] {
        guard adv.version == 2 || adv.version == 3 else { throw .version(adv.version) }
        guard source.isIPv4 == destination.isIPv4 else { throw .familyMismatch(source: source, destination: destination) }
        guard (1...255).contains(adv.addresses.count) else { throw .addressCount(adv.addresses.count) }
        if let other = adv.addresses.first(where: { $0.isIPv4 != source.isIPv4 }) {
            throw .addressFamily(address: other, source: source)
        }
        guard adv.version == 3 || source.isIPv4 else { throw .versionTwoOverIPv6 }

        var message: [UInt8] = [
            UInt8(adv.version << 4) | advertisementType, adv.vrid, adv.priority, UInt8(adv.addresses.count),
        ]
        if adv.version == 3 {
            let interval = wireUnits(adv.maxAdvertInterval, attosecondsPerUnit: attosecondsPerCentisecond,
                                     maximum: 0x0FFF)
            message += [UInt8(interval >> 8), UInt8(interval & 0xFF)]
        } else {
            let seconds = wireUnits(adv.maxAdvertInterval, attosecondsPerUnit: attosecondsPerSecond, maximum: 0xFF)
            message += [adv.authPass == nil ? authTypeNone : authTypePass, UInt8(seconds)]
        }
        message += [0, 0]
        for address in adv.addresses { message += address.bytes }
        if adv.version == 2 { message += authData(adv.authPass) }

        var sum = OnesComplementSum()
        if adv.version == 3 { sum.add(pseudoHeader(source: source, destination: destination, length: message.count)) }
        sum.add(message)
        let checksum = ~sum.folded
        message[6] = UInt8(checksum >> 8)
        message[7] = UInt8(checksum & 0xFF)
        return message
    }

    /// Validates and decodes a received VRRP message (no IP header).
    ///
    /// Checks run in `VRRPDropReason` declaration order and the first failure is returned. For v3 over
    /// IPv4 three checksum forms are accepted: RFC 9568 with the pseudo-header, the same with
    /// 224.0.0.18 as destination (keepalived's `old_unicast_checksum`), and without pseudo-header (some
    /// RFC 5798 implementations); v3 over IPv6 and v2 accept only the standard form. Reserved bits
    /// are ignored; v2 auth data is ignored when the auth type is 0.
    /// - Parameters:
    ///   - source, destination: from the IP header (IPv4) or `recvmsg` (IPv6).
    ///   - ttl: the IPv4 TTL or IPv6 hop limit.
    public static func decode(
        _ message: some Collection<UInt8>,
        source: IPAddress,
        destination: IPAddress,
        ttl: Int,
        policy: VRRPReceivePolicy
    ) -> Result<VRRPAdvertisement, VRRPDropReason> {
        let bytes = Array(message)
        if let reason = checkEnvelope(bytes, source: source, destination: destination, ttl: ttl, policy: policy)
            ?? checkHeader(bytes, policy: policy)
            ?? checkChecksum(bytes, source: source, destination: destination, version: policy.version) {
            return .failure(reason)
        }
        let advertisement = parse(bytes, family: policy.family)
        if let reason = checkContent(advertisement, authType: bytes[4], source: source, policy: policy) {
            return .failure(reason)
        }
        return .success(advertisement)
    }

    /// Parses the IPv4 header of a raw-socket datagram, then decodes its VRRP message.
    ///
    /// - Returns: the advertisement with the sender's address (the state machine breaks priority ties
    ///   with it), or `ipHeader` when the datagram is malformed or not protocol 112.
    public static func decodeIPv4Datagram(
        _ datagram: some Collection<UInt8>,
        policy: VRRPReceivePolicy
    ) -> Result<(source: IPAddress, advertisement: VRRPAdvertisement), VRRPDropReason> {
        guard let header = IPv4Header.parse(datagram), header.protocol == ipProtocol else {
            return .failure(.ipHeader)
        }
        return decode(header.payload, source: header.source, destination: header.destination,
                      ttl: header.ttl, policy: policy)
            .map { (source: header.source, advertisement: $0) }
    }
}

// MARK: - Checks, in VRRPDropReason order

extension VRRPCodec {
    private static func checkEnvelope(
        _ bytes: [UInt8], source: IPAddress, destination: IPAddress, ttl: Int, policy: VRRPReceivePolicy
    ) -> VRRPDropReason? {
        let family = policy.family
        guard VRRPReceivePolicy.Family(of: source) == family, VRRPReceivePolicy.Family(of: destination) == family,
              policy.version == 3 || family == .v4 else { return .family }
        guard ttl == requiredTTL else { return .ttl }
        guard bytes.count >= fixedHeaderLength else { return .truncated }
        return nil
    }

    private static func checkHeader(_ bytes: [UInt8], policy: VRRPReceivePolicy) -> VRRPDropReason? {
        guard Int(bytes[0] >> 4) == policy.version else { return .version }
        guard bytes[0] & 0x0F == advertisementType else { return .type }
        let count = Int(bytes[3])
        let addressLength = policy.family == .v4 ? 4 : 16
        let authLength = policy.version == 2 ? authDataLength : 0
        guard count > 0, bytes.count == fixedHeaderLength + count * addressLength + authLength else {
            return .addressCount
        }
        return nil
    }

    private static func checkChecksum(
        _ bytes: [UInt8], source: IPAddress, destination: IPAddress, version: Int
    ) -> VRRPDropReason? {
        var message = OnesComplementSum()
        message.add(bytes)
        if version == 2 { return message.folded == 0xFFFF ? nil : .checksum }

        var destinations = [destination]
        if source.isIPv4 && destination != multicastGroupIPv4 { destinations.append(multicastGroupIPv4) }
        for candidate in destinations {
            var sum = message
            sum.add(pseudoHeader(source: source, destination: candidate, length: bytes.count))
            if sum.folded == 0xFFFF { return nil }
        }
        if source.isIPv4 && message.folded == 0xFFFF { return nil }
        return .checksum
    }

    private static func checkContent(
        _ adv: VRRPAdvertisement, authType: UInt8, source: IPAddress, policy: VRRPReceivePolicy
    ) -> VRRPDropReason? {
        guard policy.vrids.contains(adv.vrid) else { return .vrid }
        if adv.version == 2 {
            if let expected = policy.authPass {
                guard authType == authTypePass, authData(adv.authPass) == authData(expected) else { return .auth }
            } else {
                guard authType == authTypeNone else { return .auth }
            }
        }
        guard adv.maxAdvertInterval > .zero else { return .advertInterval }
        if adv.version == 2, let required = policy.requiredAdvertInterval,
           adv.maxAdvertInterval != .seconds(wireUnits(required, attosecondsPerUnit: attosecondsPerSecond,
                                                         maximum: 0xFF)) {
            return .advertInterval
        }
        guard policy.allowedSources.isEmpty || policy.allowedSources.contains(source)
            || (policy.family == .v6 && policy.acceptLinkLocal && source.isIPv6LinkLocal) else { return .source }
        return nil
    }

    /// Reads the fields of a message whose length and count have been checked.
    private static func parse(_ bytes: [UInt8], family: VRRPReceivePolicy.Family) -> VRRPAdvertisement {
        let version = Int(bytes[0] >> 4)
        let count = Int(bytes[3])
        let addressLength = family == .v4 ? 4 : 16
        let addresses = (0..<count).compactMap { index in
            let start = fixedHeaderLength + index * addressLength
            return IPAddress(bytes: bytes[start..<start + addressLength])
        }
        let interval: Duration
        var authPass: [UInt8]?
        if version == 3 {
            interval = .milliseconds((Int(bytes[4] & 0x0F) << 8 | Int(bytes[5])) * 10)
        } else {
            interval = .seconds(Int(bytes[5]))
            if bytes[4] == authTypePass {
                var password = Array(bytes.suffix(authDataLength))
                while password.last == 0 { password.removeLast() }
                authPass = password
            }
        }
        return VRRPAdvertisement(version: version, vrid: bytes[1], priority: bytes[2], maxAdvertInterval: interval,
                                 addresses: addresses, authPass: authPass)
    }
}

/// Why `VRRPCodec.encode` refused an advertisement.
public enum VRRPEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    case version(Int)
    case familyMismatch(source: IPAddress, destination: IPAddress)
    case addressCount(Int)
    case addressFamily(address: IPAddress, source: IPAddress)
    case versionTwoOverIPv6

    public var description: String {
        switch self {
        case .version(let v): "VRRP version must be 2 or 3, got \(v)"
        case .familyMismatch(let s, let d): "advert source \(s) and destination \(d) are of different address families"
        case .addressCount(let n): "a VRRP advert carries 1...255 addresses, got \(n)"
        case .addressFamily(let a, let s): "VIP address \(a) is not of the family of the advert source \(s)"
        case .versionTwoOverIPv6: "VRRPv2 carries IPv4 only"
        }
    }
}

extension IPAddress {
    /// True for IPv6 link-local unicast, fe80::/10.
    public var isIPv6LinkLocal: Bool {
        guard case .v6(let value) = self else { return false }
        return UInt16(truncatingIfNeeded: value >> 112) & 0xFFC0 == 0xFE80
    }
}

// MARK: - Wire helpers

extension VRRPCodec {
    static let advertisementType: UInt8 = 1
    static let fixedHeaderLength = 8
    static let authDataLength = 8
    static let authTypeNone: UInt8 = 0
    static let authTypePass: UInt8 = 1
    private static let attosecondsPerSecond: Int64 = 1_000_000_000_000_000_000
    private static let attosecondsPerCentisecond: Int64 = 10_000_000_000_000_000

    /// The 8 bytes of v2 authentication data: the password truncated or zero-padded, or all zero.
    static func authData(_ password: [UInt8]?) -> [UInt8] {
        let prefix = (password ?? []).prefix(authDataLength)
        return Array(prefix) + Array(repeating: 0, count: authDataLength - prefix.count)
    }

    /// `duration` in whole wire units (toward zero), clamped to 1...maximum.
    static func wireUnits(_ duration: Duration, attosecondsPerUnit: Int64, maximum: Int) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 1 }
        let unitsPerSecond = attosecondsPerSecond / attosecondsPerUnit
        guard seconds <= Int64(maximum) / unitsPerSecond else { return maximum }
        let units = seconds * unitsPerSecond + attoseconds / attosecondsPerUnit
        return Int(min(max(units, 1), Int64(maximum)))
    }

    /// The checksum pseudo-header: RFC 768-style for IPv4, RFC 8200 §8.1 for IPv6, protocol 112.
    static func pseudoHeader(source: IPAddress, destination: IPAddress, length: Int) -> [UInt8] {
        let addresses = source.bytes + destination.bytes
        if source.isIPv4 {
            return addresses + [0, ipProtocol, UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        }
        let length32 = (0..<4).reversed().map { UInt8(truncatingIfNeeded: length >> ($0 * 8)) }
        return addresses + length32 + [0, 0, 0, ipProtocol]
    }
}

/// The Internet checksum's one's-complement sum (RFC 1071), fed in chunks.
///
/// Every chunk but the last must have an even length (pseudo-headers do), so 16-bit words never
/// straddle two chunks. A 64-bit accumulator cannot overflow for any IP datagram, so folding waits
/// until the end.
struct OnesComplementSum {
    private var sum: UInt64 = 0

    mutating func add(_ bytes: [UInt8]) {
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt64(bytes[index]) << 8 | UInt64(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt64(bytes[index]) << 8 }
    }

    /// The sum folded to 16 bits; 0xFFFF over a message that includes a correct checksum.
    var folded: UInt16 {
        var value = sum
        while value > 0xFFFF { value = (value & 0xFFFF) + (value >> 16) }
        return UInt16(value)
    }
}
