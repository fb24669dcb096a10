import HACore
import Testing
@testable import VIPManager

/// Byte-exact vectors: hand-computed ones, and adverts captured from keepalived 2.2.7.
@Suite("VRRP codec golden vectors")
struct VRRPCodecGoldenTests {
    static let group4 = VRRPCodec.multicastGroupIPv4
    static let group6 = VRRPCodec.multicastGroupIPv6

    // MARK: Hand-computed

    /// v3, IPv4, 198.18.0.11 -> 224.0.0.18, VRID 51, priority 150, 1 s, one address 198.18.0.10.
    /// Pseudo-header c612 000b | e000 0012 | 0070 | 000c, message 3133 9601 0064 [csum] c612 000a:
    /// c612+000b+e000+0012+0070+000c+3133+9601+0064+0000+c612+000a = 0x3345f -> fold 0x3462 -> ~ 0xcb9d.
    static let v3IPv4 = hexBytes("31 33 96 01  00 64 cb 9d  c6 12 00 0a")

    /// v3, IPv6, fe80::1 -> ff02::12, VRID 7, priority 100, 100 ms (10 cs), 2001:db8::10 and ::11.
    /// Pseudo-header: src, dst, length 0x00000028, 0x00000070; words sum to 0x2eed3 with the message
    /// -> fold 0xeed5 -> ~ 0x112a.
    static let v3IPv6 = hexBytes("""
        31 07 64 02  00 0a 11 2a
        20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 10
        20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 11
        """)

    /// v2, VRID 10, priority 200, auth type 0, 3 s, 198.18.0.30 and .31, 8 zero auth bytes.
    /// 210a+c802+0003+0000+c612+001e+c612+001f = 0x27570 -> fold 0x7572 -> ~ 0x8a8d.
    static let v2NoAuth = hexBytes("21 0a c8 02  00 03 8a 8d  c6 12 00 1e  c6 12 00 1f  00 00 00 00 00 00 00 00")

    /// v2, VRID 52, priority 100, auth type 1 "hactl" (zero-padded), 1 s, 198.18.0.20.
    /// 2134+6401+0101+0000+c612+0014+6861+6374+6c00+0000 = 0x28431 -> fold 0x8433 -> ~ 0x7bcc.
    static let v2Pass = hexBytes("21 34 64 01  01 01 7b cc  c6 12 00 14  68 61 63 74 6c 00 00 00")

    @Test("hand-computed v3 IPv4 vector: encode and decode")
    func handV3IPv4() throws {
        let adv = VRRPAdvertisement(version: 3, vrid: 51, priority: 150, maxAdvertInterval: .seconds(1),
                                    addresses: [ip("198.18.0.10")])
        #expect(try VRRPCodec.encode(adv, source: ip("198.18.0.11"), destination: Self.group4) == Self.v3IPv4)
        let policy = VRRPReceivePolicy(vrids: [51], family: .v4)
        #expect(try VRRPCodec.decode(Self.v3IPv4, source: ip("198.18.0.11"), destination: Self.group4, ttl: 255,
                                     policy: policy).get() == adv)
    }

    @Test("hand-computed v3 IPv6 vector: encode and decode")
    func handV3IPv6() throws {
        let adv = VRRPAdvertisement(version: 3, vrid: 7, priority: 100, maxAdvertInterval: .milliseconds(100),
                                    addresses: [ip("2001:db8::10"), ip("2001:db8::11")])
        #expect(try VRRPCodec.encode(adv, source: ip("fe80::1"), destination: Self.group6) == Self.v3IPv6)
        let policy = VRRPReceivePolicy(vrids: [7], family: .v6)
        #expect(try VRRPCodec.decode(Self.v3IPv6, source: ip("fe80::1"), destination: Self.group6, ttl: 255,
                                     policy: policy).get() == adv)
    }

    @Test("hand-computed v2 vectors: encode and decode, with and without a password")
    func handV2() throws {
        let none = VRRPAdvertisement(version: 2, vrid: 10, priority: 200, maxAdvertInterval: .seconds(3),
                                     addresses: [ip("198.18.0.30"), ip("198.18.0.31")])
        let pass = VRRPAdvertisement(version: 2, vrid: 52, priority: 100, maxAdvertInterval: .seconds(1),
                                     addresses: [ip("198.18.0.20")], authPass: Array("hactl".utf8))
        // v2 has no pseudo-header: the addresses must not change the bytes.
        #expect(try VRRPCodec.encode(none, source: ip("198.18.0.11"), destination: Self.group4) == Self.v2NoAuth)
        #expect(try VRRPCodec.encode(none, source: ip("198.18.1.1"), destination: ip("198.18.1.2")) == Self.v2NoAuth)
        #expect(try VRRPCodec.encode(pass, source: ip("198.18.0.11"), destination: Self.group4) == Self.v2Pass)
        let noAuthPolicy = VRRPReceivePolicy(version: 2, vrids: [10], family: .v4)
        let passPolicy = VRRPReceivePolicy(version: 2, vrids: [52], authPass: Array("hactl".utf8), family: .v4)
        #expect(try VRRPCodec.decode(Self.v2NoAuth, source: ip("198.18.0.11"), destination: Self.group4, ttl: 255,
                                     policy: noAuthPolicy).get() == none)
        #expect(try VRRPCodec.decode(Self.v2Pass, source: ip("198.18.0.11"), destination: Self.group4, ttl: 255,
                                     policy: passPolicy).get() == pass)
    }

    @Test("v3 IPv4 accepts the checksum without pseudo-header and keepalived's old unicast form")
    func v3IPv4AlternateChecksums() throws {
        let source = ip("198.18.0.11"), peer = ip("198.18.0.12")
        let policy = VRRPReceivePolicy(vrids: [51], family: .v4)
        // Same message without pseudo-header: 3133+9601+0064+0000+c612+000a = 0x18db4 -> 0x8db5 -> ~ 0x724a.
        let plain = hexBytes("31 33 96 01  00 64 72 4a  c6 12 00 0a")
        var computed = Self.v3IPv4
        refreshChecksum(&computed, pseudoHeader: nil)
        #expect(computed == plain)
        #expect(throws: Never.self) {
            try VRRPCodec.decode(plain, source: source, destination: Self.group4, ttl: 255, policy: policy).get()
        }
        // Unicast to `peer`, checksummed with 224.0.0.18 as pseudo-header destination (old_unicast_checksum).
        #expect(throws: Never.self) {
            try VRRPCodec.decode(Self.v3IPv4, source: source, destination: peer, ttl: 255, policy: policy).get()
        }
        // A checksum computed for another source matches none of the forms.
        #expect(VRRPCodec.decode(Self.v3IPv4, source: ip("198.18.0.13"), destination: Self.group4, ttl: 255,
                                 policy: policy) == .failure(.checksum))
    }

    @Test("v3 IPv6 and v2 accept only the standard checksum form")
    func strictChecksumForms() {
        var v6Plain = Self.v3IPv6
        refreshChecksum(&v6Plain, pseudoHeader: nil)
        #expect(v6Plain != Self.v3IPv6)
        #expect(VRRPCodec.decode(v6Plain, source: ip("fe80::1"), destination: Self.group6, ttl: 255,
                                 policy: VRRPReceivePolicy(vrids: [7], family: .v6)) == .failure(.checksum))
        var v2Pseudo = Self.v2NoAuth
        refreshChecksum(&v2Pseudo, pseudoHeader: (ip("198.18.0.11"), Self.group4))
        #expect(v2Pseudo != Self.v2NoAuth)
        let v2Policy = VRRPReceivePolicy(version: 2, vrids: [10], family: .v4)
        #expect(VRRPCodec.decode(v2Pseudo, source: ip("198.18.0.11"), destination: Self.group4, ttl: 255,
                                 policy: v2Policy) == .failure(.checksum))
    }

    // MARK: Captured from keepalived 2.2.7

    // Provenance: keepalived v2.2.7 (Debian 12 package, `keepalived --version`: "Keepalived v2.2.7
    // (01/16,2022)"), captured on this lab machine. Two network namespaces joined by a veth pair, IPv6
    // disabled in both: hactl-vrrpcap-a with `va` 198.18.9.1/24 running
    //   keepalived -n -l -D -f keepalived.conf -p ka.pid -r ka-vrrp.pid -c ka-check.pid
    // and hactl-vrrpcap-b with `vb` 198.18.9.2/24 running a python3 `socket(AF_INET, SOCK_RAW, 112)`
    // that joined 224.0.0.18 on `vb` and printed every datagram (IP header included) as hex.
    // keepalived.conf held three instances on `va`, all `state MASTER`:
    //   V3     version 3, virtual_router_id 51, priority 150, advert_int 1, VIPs 198.18.9.10/24 198.18.9.11/24
    //   V3FAST version 3, virtual_router_id 53, priority 200, advert_int 0.1, VIP 198.18.9.30/24
    //   V2     version 2, virtual_router_id 52, priority 100, advert_int 1,
    //          authentication { auth_type PASS  auth_pass secret12 }, VIP 198.18.9.20/24
    // keepalived was stopped with SIGTERM to its PID (it then sends priority 0 adverts), and both
    // namespaces were deleted. The bytes below are pasted unchanged from that capture.

    struct Captured: Sendable {
        var name: String
        var datagram: [UInt8]
        var ipID: UInt16
        var policy: VRRPReceivePolicy
        var expected: VRRPAdvertisement
    }

    static let keepalivedSource = ip("198.18.9.1")
    static let v3VIPs = [ip("198.18.9.10"), ip("198.18.9.11")]
    static let secret = Array("secret12".utf8)

    static let captured: [Captured] = [
        Captured(
            name: "V3 vrid 51 priority 150, 2 VIPs, advert_int 1",
            datagram: hexBytes("""
                45 c0 00 24  00 01 00 00  ff 70 0b 83  c6 12 09 01  e0 00 00 12
                31 33 96 02  00 64 ea 84  c6 12 09 0a  c6 12 09 0b
                """),
            ipID: 1,
            policy: VRRPReceivePolicy(vrids: [51], family: .v4),
            expected: VRRPAdvertisement(version: 3, vrid: 51, priority: 150, maxAdvertInterval: .seconds(1),
                                        addresses: v3VIPs)),
        Captured(
            name: "V3 vrid 51 priority 0 on shutdown",
            datagram: hexBytes("""
                45 c0 00 24  00 03 00 00  ff 70 0b 81  c6 12 09 01  e0 00 00 12
                31 33 00 02  00 64 80 85  c6 12 09 0a  c6 12 09 0b
                """),
            ipID: 3,
            policy: VRRPReceivePolicy(vrids: [51], family: .v4),
            expected: VRRPAdvertisement(version: 3, vrid: 51, priority: 0, maxAdvertInterval: .seconds(1),
                                        addresses: v3VIPs)),
        Captured(
            name: "V3FAST vrid 53 priority 200, advert_int 0.1",
            datagram: hexBytes("""
                45 c0 00 20  00 01 00 00  ff 70 0b 87  c6 12 09 01  e0 00 00 12
                31 35 c8 01  00 0a 87 eb  c6 12 09 1e
                """),
            ipID: 1,
            policy: VRRPReceivePolicy(vrids: [51, 53], family: .v4),
            expected: VRRPAdvertisement(version: 3, vrid: 53, priority: 200, maxAdvertInterval: .milliseconds(100),
                                        addresses: [ip("198.18.9.30")])),
        Captured(
            name: "V3FAST vrid 53 priority 0 on shutdown",
            datagram: hexBytes("""
                45 c0 00 20  00 30 00 00  ff 70 0b 58  c6 12 09 01  e0 00 00 12
                31 35 00 01  00 0a 4f ec  c6 12 09 1e
                """),
            ipID: 0x30,
            policy: VRRPReceivePolicy(vrids: [53], family: .v4),
            expected: VRRPAdvertisement(version: 3, vrid: 53, priority: 0, maxAdvertInterval: .milliseconds(100),
                                        addresses: [ip("198.18.9.30")])),
        Captured(
            name: "V2 vrid 52 priority 100, PASS secret12",
            datagram: hexBytes("""
                45 c0 00 28  00 01 00 00  ff 70 0b 7f  c6 12 09 01  e0 00 00 12
                21 34 64 01  01 01 3d 24  c6 12 09 14  73 65 63 72 65 74 31 32
                """),
            ipID: 1,
            policy: VRRPReceivePolicy(version: 2, vrids: [52], authPass: secret,
                                      requiredAdvertInterval: .seconds(1), family: .v4),
            expected: VRRPAdvertisement(version: 2, vrid: 52, priority: 100, maxAdvertInterval: .seconds(1),
                                        addresses: [ip("198.18.9.20")], authPass: secret)),
        Captured(
            name: "V2 vrid 52 priority 0 on shutdown",
            datagram: hexBytes("""
                45 c0 00 28  00 03 00 00  ff 70 0b 7d  c6 12 09 01  e0 00 00 12
                21 34 00 01  01 01 a1 24  c6 12 09 14  73 65 63 72 65 74 31 32
                """),
            ipID: 3,
            policy: VRRPReceivePolicy(version: 2, vrids: [52], authPass: secret, family: .v4),
            expected: VRRPAdvertisement(version: 2, vrid: 52, priority: 0, maxAdvertInterval: .seconds(1),
                                        addresses: [ip("198.18.9.20")], authPass: secret)),
    ]

    @Test("keepalived 2.2.7 adverts: IP header as keepalived builds it", arguments: captured)
    func keepalivedIPHeader(_ vector: Captured) throws {
        let header = try #require(IPv4Header.parse(vector.datagram), "\(vector.name)")
        #expect(header.source == Self.keepalivedSource)
        #expect(header.destination == Self.group4)
        #expect(header.ttl == 255)
        #expect(header.protocol == 112)
        #expect(header.payload.count == vector.datagram.count - 20)
        #expect(vector.datagram[1] == 0xC0, "TOS internetwork control")
        #expect(UInt16(vector.datagram[4]) << 8 | UInt16(vector.datagram[5]) == vector.ipID)
        var sum = OnesComplementSum()
        sum.add(Array(vector.datagram.prefix(20)))
        #expect(sum.folded == 0xFFFF, "the capture's IP header checksum verifies")
    }

    @Test("keepalived 2.2.7 adverts decode field by field and re-encode byte for byte", arguments: captured)
    func keepalivedDecodeEncode(_ vector: Captured) throws {
        let received = try VRRPCodec.decodeIPv4Datagram(vector.datagram, policy: vector.policy).get()
        #expect(received.source == Self.keepalivedSource)
        let adv = received.advertisement
        #expect(adv.version == vector.expected.version)
        #expect(adv.vrid == vector.expected.vrid)
        #expect(adv.priority == vector.expected.priority)
        #expect(adv.maxAdvertInterval == vector.expected.maxAdvertInterval)
        #expect(adv.addresses == vector.expected.addresses)
        #expect(adv.authPass == vector.expected.authPass)
        #expect(adv == vector.expected)

        let message = Array(vector.datagram.dropFirst(20))
        let encoded = try VRRPCodec.encode(adv, source: Self.keepalivedSource, destination: Self.group4)
        #expect(hexString(encoded) == hexString(message), "\(vector.name)")
    }
}

extension VRRPCodecGoldenTests.Captured: CustomTestStringConvertible {
    var testDescription: String { name }
}
