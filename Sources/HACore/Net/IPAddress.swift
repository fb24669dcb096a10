#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as a plain value.
///
/// Ordering puts every IPv4 address before every IPv6 address and otherwise compares numerically,
/// which is the order VRRP uses to break priority ties (the higher address wins).
/// Values are immutable and safe to share between threads.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// An IPv4 address in host byte order (`198.18.0.1` is `0xC612_0001`).
    case v4(UInt32)
    /// An IPv6 address as one 128-bit number, most significant byte first on the wire.
    case v6(UInt128)

    /// Parses the textual form with `inet_pton`: dotted quad for IPv4, RFC 4291 text for IPv6.
    ///
    /// Zone suffixes (`fe80::1%eth0`), host names and prefixes are rejected; `::ffff:1.2.3.4` stays IPv6.
    public init?(_ string: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, string, &v4) == 1 {
            self = .v4(UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, string, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            self.init(bytes: bytes)
            return
        }
        return nil
    }

    /// Builds an address from its wire form: 4 bytes for IPv4, 16 bytes for IPv6, network order.
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4:
            self = .v4(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        case 16:
            self = .v6(bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
        default:
            return nil
        }
    }

    /// True for IPv4.
    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    /// The wire form in network byte order: 4 or 16 bytes.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let value):
            return (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        case .v6(let value):
            return (0..<16).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        }
    }

    /// Number of bits in an address of this family (32 or 128).
    public var bitWidth: Int { isIPv4 ? 32 : 128 }

    /// The canonical text: dotted quad, or RFC 5952 compressed IPv6 from `inet_ntop`.
    public var description: String {
        switch self {
        case .v4(let value):
            return (0..<4).reversed().map { String((value >> ($0 * 8)) & 0xFF) }.joined(separator: ".")
        case .v6:
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil else {
                return bytes.map { String($0, radix: 16) }.joined(separator: ":")
            }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): return a < b
        case (.v6(let a), .v6(let b)): return a < b
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }
}

/// An address with a prefix length, as written on an interface (`198.18.0.10/24`).
///
/// The host part is kept: `198.18.0.10/24` is the address `198.18.0.10` on a /24, not the network
/// `198.18.0.0/24`.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The address as written, host bits included.
    public var address: IPAddress
    /// Prefix length: 0...32 for IPv4, 0...128 for IPv6.
    public var prefixLength: Int

    /// Builds a network; the prefix length must fit the address family.
    public init?(address: IPAddress, prefixLength: Int) {
        guard (0...address.bitWidth).contains(prefixLength) else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/PREFIX`; a bare address means a host prefix (/32 or /128).
    public init?(_ cidr: String) {
        let parts = cidr.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        guard parts.count == 2 else {
            self.init(address: address, prefixLength: address.bitWidth)
            return
        }
        let digits = parts[1]
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let length = Int(digits) else { return nil }
        self.init(address: address, prefixLength: length)
    }

    /// `ADDRESS/PREFIX`.
    public var description: String { "\(address)/\(prefixLength)" }

    /// True if `other` is of the same family and shares the first `prefixLength` bits.
    public func contains(_ other: IPAddress) -> Bool {
        switch (address, other) {
        case (.v4(let a), .v4(let b)):
            let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << (32 - prefixLength)
            return a & mask == b & mask
        case (.v6(let a), .v6(let b)):
            let mask: UInt128 = prefixLength == 0 ? 0 : ~UInt128(0) << (128 - prefixLength)
            return a & mask == b & mask
        default:
            return false
        }
    }
}
