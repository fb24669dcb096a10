import HACore
import Testing
@testable import VIPManager

/// Issue 11 item 7: an IPv6 VIP on IPv4 controllers. The engine once encoded its IPv6 adverts with
/// the IPv4 controller address as source, and `encode` trapped on the family mismatch when the VIP
/// became master. IPv6 adverts come from link-local addresses (RFC 9568 §5.1.2.1), which the
/// controllers' addresses in the receive policy can never match.
@Suite("VRRP codec: IPv6 advert sources")
struct VRRPCodecIPv6SourceTests {
    static let group6 = VRRPCodec.multicastGroupIPv6
    static let advert = VRRPAdvertisement(vrid: 61, priority: 150, maxAdvertInterval: .milliseconds(100),
                                          addresses: [ip("2001:2::10")])
    static let controllers: Set<IPAddress> = [ip("198.18.0.11"), ip("198.18.0.12"), ip("198.18.0.13")]

    @Test("an IPv4 source with ff02::12 is an error, not a trap (the crash of item 7)")
    func ipv4SourceToIPv6Group() {
        #expect(throws: VRRPEncodingError.familyMismatch(source: ip("198.18.0.11"), destination: Self.group6)) {
            try VRRPCodec.encode(Self.advert, source: ip("198.18.0.11"), destination: Self.group6)
        }
    }

    @Test("every other config-reachable misuse is an error too")
    func otherEncodingErrors() {
        var v2 = Self.advert
        v2.version = 2
        #expect(throws: VRRPEncodingError.versionTwoOverIPv6) {
            try VRRPCodec.encode(v2, source: ip("fe80::11"), destination: Self.group6)
        }
        var v4 = Self.advert
        v4.version = 4
        #expect(throws: VRRPEncodingError.version(4)) { try VRRPCodec.encode(v4, source: ip("fe80::11"), destination: Self.group6) }
        var mixed = Self.advert
        mixed.addresses = [ip("198.18.0.10")]
        #expect(throws: VRRPEncodingError.addressFamily(address: ip("198.18.0.10"), source: ip("fe80::11"))) {
            try VRRPCodec.encode(mixed, source: ip("fe80::11"), destination: Self.group6)
        }
        var none = Self.advert
        none.addresses = []
        #expect(throws: VRRPEncodingError.addressCount(0)) { try VRRPCodec.encode(none, source: ip("fe80::11"), destination: Self.group6) }
        none.addresses = Array(repeating: ip("2001:2::10"), count: 256)
        #expect(throws: VRRPEncodingError.addressCount(256)) { try VRRPCodec.encode(none, source: ip("fe80::11"), destination: Self.group6) }
    }

    @Test("a link-local sender is accepted although only the IPv4 controllers are allowed")
    func linkLocalSenderAccepted() throws {
        let policy = VRRPReceivePolicy(vrids: [61], allowedSources: Self.controllers, family: .v6)
        let wire = try VRRPCodec.encode(Self.advert, source: ip("fe80::5054:ff:fe00:12"), destination: Self.group6)
        let decoded = VRRPCodec.decode(wire, source: ip("fe80::5054:ff:fe00:12"), destination: Self.group6, ttl: 255, policy: policy)
        #expect(decoded == .success(Self.advert))
    }

    @Test("a global IPv6 sender that is not allowed is still dropped as `source`")
    func globalSenderDropped() throws {
        let policy = VRRPReceivePolicy(vrids: [61], allowedSources: Self.controllers, family: .v6)
        let wire = try VRRPCodec.encode(Self.advert, source: ip("2001:2::99"), destination: Self.group6)
        #expect(VRRPCodec.decode(wire, source: ip("2001:2::99"), destination: Self.group6, ttl: 255, policy: policy) == .failure(.source))
        let allowed = VRRPReceivePolicy(vrids: [61], allowedSources: Self.controllers.union([ip("2001:2::99")]), family: .v6)
        #expect(VRRPCodec.decode(wire, source: ip("2001:2::99"), destination: Self.group6, ttl: 255, policy: allowed) == .success(Self.advert))
    }

    @Test("acceptLinkLocal: false restricts IPv6 to the allowed sources")
    func linkLocalOptOut() throws {
        let policy = VRRPReceivePolicy(vrids: [61], allowedSources: Self.controllers, acceptLinkLocal: false, family: .v6)
        let wire = try VRRPCodec.encode(Self.advert, source: ip("fe80::12"), destination: Self.group6)
        #expect(VRRPCodec.decode(wire, source: ip("fe80::12"), destination: Self.group6, ttl: 255, policy: policy) == .failure(.source))
    }

    @Test("a link-local sender off the segment (hop limit below 255) is dropped as `ttl`")
    func linkLocalNeedsHopLimit255() throws {
        let policy = VRRPReceivePolicy(vrids: [61], allowedSources: Self.controllers, family: .v6)
        let wire = try VRRPCodec.encode(Self.advert, source: ip("fe80::12"), destination: Self.group6)
        #expect(VRRPCodec.decode(wire, source: ip("fe80::12"), destination: Self.group6, ttl: 254, policy: policy) == .failure(.ttl))
    }

    @Test("the IPv6 checksum covers the link-local source: another source fails the checksum")
    func checksumCoversSource() throws {
        let policy = VRRPReceivePolicy(vrids: [61], family: .v6)
        let wire = try VRRPCodec.encode(Self.advert, source: ip("fe80::11"), destination: Self.group6)
        #expect(VRRPCodec.decode(wire, source: ip("fe80::12"), destination: Self.group6, ttl: 255, policy: policy) == .failure(.checksum))
        #expect(VRRPCodec.decode(wire, source: ip("fe80::11"), destination: Self.group6, ttl: 255, policy: policy) == .success(Self.advert))
    }

    @Test("link-local on IPv4 is not a thing: IPv4 policies ignore acceptLinkLocal")
    func ipv4Unaffected() throws {
        let advert = VRRPAdvertisement(vrid: 61, priority: 150, maxAdvertInterval: .milliseconds(100), addresses: [ip("198.18.0.10")])
        let policy = VRRPReceivePolicy(vrids: [61], allowedSources: Self.controllers, family: .v4)
        let wire = try VRRPCodec.encode(advert, source: ip("169.254.0.1"), destination: VRRPCodec.multicastGroupIPv4)
        #expect(VRRPCodec.decode(wire, source: ip("169.254.0.1"), destination: VRRPCodec.multicastGroupIPv4, ttl: 255, policy: policy) == .failure(.source))
    }

    @Test("isIPv6LinkLocal is exactly fe80::/10", arguments: [
        ("fe80::1", true), ("febf:ffff::1", true), ("fec0::1", false), ("fe7f::1", false), ("ff02::12", false),
        ("2001:2::1", false), ("198.18.0.11", false),
    ])
    func linkLocalRange(address: String, expected: Bool) {
        #expect(ip(address).isIPv6LinkLocal == expected)
    }
}
