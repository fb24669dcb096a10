/// Why a received VRRP packet was dropped instead of being handed to the state machine.
///
/// The raw values are the label values of the I/O layer's drop counter: snake_case and a closed set,
/// so the label stays bounded whatever arrives on the wire. Checks run in the order the cases are
/// declared, so a packet that is wrong in several ways is counted once, under the first failing check.
public enum VRRPDropReason: String, CaseIterable, Sendable, Error {
    /// The IPv4 header could not be parsed (short, not version 4, bad IHL or total length) or does
    /// not carry protocol 112. Only reported by `VRRPCodec.decodeIPv4Datagram`.
    case ipHeader = "ip_header"
    /// The source or destination address is not of the policy's family, or VRRPv2 was asked for IPv6.
    case family
    /// IPv4 TTL or IPv6 hop limit is not 255: the packet may have crossed a router (RFC 9568 §7.1).
    case ttl
    /// Shorter than the 8-byte fixed VRRP header.
    case truncated
    /// The version nibble is not the policy's version.
    case version
    /// The type nibble is not 1 (ADVERTISEMENT), the only type VRRP defines.
    case type
    /// The address count is 0, or the message length is not 8 + count x address size (+ 8 bytes of
    /// authentication data for v2).
    case addressCount = "address_count"
    /// The checksum does not verify in any form accepted for this version and family.
    case checksum
    /// The virtual router ID is not one of ours (another virtual router on the same segment).
    case vrid
    /// VRRPv2 authentication: wrong auth type (AH, unknown, PASS when we have none, none when we have
    /// a password) or a password mismatch.
    case auth
    /// The advertisement interval is 0, or (v2 with a required interval) differs from ours.
    case advertInterval = "advert_interval"
    /// A well-formed advertisement from an address that is not an allowed controller.
    case source

    /// A short human-readable explanation for logs.
    public var explanation: String {
        switch self {
        case .ipHeader: "malformed IPv4 header or not protocol 112"
        case .family: "address family mismatch"
        case .ttl: "TTL/hop limit is not 255"
        case .truncated: "shorter than the VRRP header"
        case .version: "unexpected VRRP version"
        case .type: "not an ADVERTISEMENT"
        case .addressCount: "address count does not match the message length"
        case .checksum: "bad checksum"
        case .vrid: "virtual router ID is not ours"
        case .auth: "authentication type or password mismatch"
        case .advertInterval: "invalid or mismatched advertisement interval"
        case .source: "sender is not an allowed controller"
        }
    }
}
