import HACore
import Testing
@testable import VIPManager

@Suite("VRRP codec round trips")
struct VRRPCodecRoundTripTests {
    static let group4 = VRRPCodec.multicastGroupIPv4
    static let group6 = VRRPCodec.multicastGroupIPv6

    @Test("v3 over IPv4 decodes to what was encoded, for every interval boundary")
    func v3IPv4() throws {
        for interval in [Duration.milliseconds(10), .milliseconds(100), .seconds(1), .milliseconds(40_950)] {
            let adv = VRRPAdvertisement(version: 3, vrid: 51, priority: 150, maxAdvertInterval: interval,
                                        addresses: [ip("198.18.0.10"), ip("198.18.0.11")])
            let source = ip("198.18.0.11")
            let wire = try VRRPCodec.encode(adv, source: source, destination: Self.group4)
            #expect(wire.count == 8 + 2 * 4)
            let policy = VRRPReceivePolicy(version: 3, vrids: [51], family: .v4)
            let decoded = try VRRPCodec.decode(wire, source: source, destination: Self.group4, ttl: 255,
                                               policy: policy).get()
            #expect(decoded == adv)
        }
    }

    @Test("v3 over IPv4 unicast: the checksum covers the peer's address")
    func v3IPv4Unicast() throws {
        let adv = VRRPAdvertisement(vrid: 9, priority: 100, maxAdvertInterval: .milliseconds(200),
                                    addresses: [ip("198.18.0.10")])
        let source = ip("198.18.0.11"), peer = ip("198.18.0.12")
        let unicast = try VRRPCodec.encode(adv, source: source, destination: peer)
        let multicast = try VRRPCodec.encode(adv, source: source, destination: Self.group4)
        #expect(unicast != multicast)
        #expect(unicast[..<6] == multicast[..<6])
        let policy = VRRPReceivePolicy(vrids: [9], allowedSources: [source], family: .v4)
        #expect(try VRRPCodec.decode(unicast, source: source, destination: peer, ttl: 255, policy: policy).get() == adv)
    }

    @Test("v3 over IPv6 with several addresses")
    func v3IPv6() throws {
        let addresses = [ip("fe80::5"), ip("2001:db8::10"), ip("2001:db8::11"), ip("2001:db8:ffff::1")]
        let adv = VRRPAdvertisement(version: 3, vrid: 200, priority: 255, maxAdvertInterval: .milliseconds(100),
                                    addresses: addresses)
        let source = ip("fe80::1")
        let wire = try VRRPCodec.encode(adv, source: source, destination: Self.group6)
        #expect(wire.count == 8 + 4 * 16)
        let policy = VRRPReceivePolicy(vrids: [200], allowedSources: [source], family: .v6)
        let decoded = try VRRPCodec.decode(wire, source: source, destination: Self.group6, ttl: 255,
                                           policy: policy).get()
        #expect(decoded == adv)
        #expect(decoded.addresses == addresses)
    }

    @Test("v2 without authentication")
    func v2NoAuth() throws {
        let adv = VRRPAdvertisement(version: 2, vrid: 10, priority: 200, maxAdvertInterval: .seconds(3),
                                    addresses: [ip("198.18.0.30"), ip("198.18.0.31")])
        let wire = try VRRPCodec.encode(adv, source: ip("198.18.0.11"), destination: Self.group4)
        #expect(wire.count == 8 + 2 * 4 + 8)
        #expect(wire[4] == 0, "auth type 0")
        #expect(wire.suffix(8).allSatisfy { $0 == 0 })
        let policy = VRRPReceivePolicy(version: 2, vrids: [10], requiredAdvertInterval: .seconds(3), family: .v4)
        let decoded = try VRRPCodec.decode(wire, source: ip("198.18.0.11"), destination: Self.group4, ttl: 255,
                                           policy: policy).get()
        #expect(decoded == adv)
        #expect(decoded.authPass == nil)
    }

    @Test("v2 with a simple text password, short and full length")
    func v2Pass() throws {
        for password in ["hactl", "secret12"] {
            let pass = Array(password.utf8)
            let adv = VRRPAdvertisement(version: 2, vrid: 52, priority: 100, maxAdvertInterval: .seconds(1),
                                        addresses: [ip("198.18.0.20")], authPass: pass)
            let wire = try VRRPCodec.encode(adv, source: ip("198.18.0.11"), destination: Self.group4)
            #expect(wire[4] == 1, "auth type 1")
            #expect(Array(wire.suffix(8)) == pass + Array(repeating: 0, count: 8 - pass.count))
            let policy = VRRPReceivePolicy(version: 2, vrids: [52], authPass: pass, family: .v4)
            let decoded = try VRRPCodec.decode(wire, source: ip("198.18.0.11"), destination: Self.group4,
                                               ttl: 255, policy: policy).get()
            #expect(decoded == adv)
        }
    }

    @Test("v2 passwords longer than 8 bytes are truncated on both sides, as keepalived does")
    func v2LongPassword() throws {
        let long = Array("secret12-and-more".utf8)
        let adv = VRRPAdvertisement(version: 2, vrid: 52, priority: 100, maxAdvertInterval: .seconds(1),
                                    addresses: [ip("198.18.0.20")], authPass: long)
        let wire = try VRRPCodec.encode(adv, source: ip("198.18.0.11"), destination: Self.group4)
        #expect(Array(wire.suffix(8)) == Array("secret12".utf8))
        let policy = VRRPReceivePolicy(version: 2, vrids: [52], authPass: long, family: .v4)
        let decoded = try VRRPCodec.decode(wire, source: ip("198.18.0.11"), destination: Self.group4, ttl: 255,
                                           policy: policy).get()
        #expect(decoded.authPass == Array("secret12".utf8))
    }

    @Test("intervals are truncated to the wire unit and clamped to the field")
    func intervalClamping() throws {
        let cases: [(version: Int, interval: Duration, wire: Int)] = [
            (3, .milliseconds(105), 10), (3, .milliseconds(5), 1), (3, .zero, 1), (3, .seconds(-1), 1),
            (3, .seconds(41), 4095), (3, .seconds(Int64.max), 4095),
            (2, .milliseconds(1500), 1), (2, .milliseconds(100), 1), (2, .seconds(300), 255),
        ]
        for item in cases {
            let adv = VRRPAdvertisement(version: item.version, vrid: 1, priority: 100,
                                        maxAdvertInterval: item.interval, addresses: [ip("198.18.0.10")])
            let wire = try VRRPCodec.encode(adv, source: ip("198.18.0.11"), destination: Self.group4)
            let field = item.version == 3 ? Int(wire[4] & 0x0F) << 8 | Int(wire[5]) : Int(wire[5])
            #expect(field == item.wire, "v\(item.version) \(item.interval)")
            #expect(item.version == 2 || wire[4] & 0xF0 == 0, "reserved bits are zero")
        }
    }
}
