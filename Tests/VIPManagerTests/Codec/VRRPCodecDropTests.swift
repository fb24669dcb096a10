import HACore
import Testing
@testable import VIPManager

/// One malformed or unwanted packet and the reason it must be dropped for.
struct DropCase: Sendable, CustomTestStringConvertible {
    enum Input: Sendable {
        case message([UInt8], source: IPAddress, destination: IPAddress, ttl: Int, policy: VRRPReceivePolicy)
        case datagram([UInt8], policy: VRRPReceivePolicy)
    }

    var name: String
    var reason: VRRPDropReason
    var input: Input

    var testDescription: String { "\(reason.rawValue): \(name)" }

    /// The decode outcome: nil when the packet was accepted.
    func outcome() -> VRRPDropReason? {
        switch input {
        case let .message(bytes, source, destination, ttl, policy):
            if case .failure(let reason) = VRRPCodec.decode(bytes, source: source, destination: destination,
                                                            ttl: ttl, policy: policy) { return reason }
        case let .datagram(bytes, policy):
            if case .failure(let reason) = VRRPCodec.decodeIPv4Datagram(bytes, policy: policy) { return reason }
        }
        return nil
    }
}

/// Valid base packets that the table mutates one field at a time.
enum DropFixtures {
    static let group4 = VRRPCodec.multicastGroupIPv4
    static let group6 = VRRPCodec.multicastGroupIPv6
    static let ctl1 = ip("198.18.0.11"), ctl2 = ip("198.18.0.12"), ctl3 = ip("198.18.0.13")
    static let stranger = ip("198.18.0.99")
    static let ctl1v6 = ip("fe80::11")
    static let secret = Array("secret12".utf8)

    static let v3Policy = VRRPReceivePolicy(vrids: [51, 61], allowedSources: [ctl1, ctl2, ctl3], family: .v4)
    static let v6Policy = VRRPReceivePolicy(vrids: [51], allowedSources: [ctl1v6], family: .v6)
    static let v2Policy = VRRPReceivePolicy(version: 2, vrids: [52], authPass: secret,
                                            requiredAdvertInterval: .seconds(1), allowedSources: [ctl1, ctl2],
                                            family: .v4)
    static let v2NoAuthPolicy = VRRPReceivePolicy(version: 2, vrids: [52], family: .v4)

    static let v3 = try! VRRPCodec.encode(
        VRRPAdvertisement(vrid: 51, priority: 150, maxAdvertInterval: .milliseconds(100),
                          addresses: [ip("198.18.0.10")]),
        source: ctl1, destination: group4)
    static let v6 = try! VRRPCodec.encode(
        VRRPAdvertisement(vrid: 51, priority: 150, maxAdvertInterval: .milliseconds(100),
                          addresses: [ip("2001:db8::10")]),
        source: ctl1v6, destination: group6)
    static let v2 = try! VRRPCodec.encode(
        VRRPAdvertisement(version: 2, vrid: 52, priority: 100, maxAdvertInterval: .seconds(1),
                          addresses: [ip("198.18.0.20")], authPass: secret),
        source: ctl1, destination: group4)

    /// A v3 IPv4 message from ctl1 to the group, as received with TTL 255.
    static func v3Message(_ bytes: [UInt8], source: IPAddress = ctl1, ttl: Int = 255,
                          policy: VRRPReceivePolicy = v3Policy) -> DropCase.Input {
        .message(bytes, source: source, destination: group4, ttl: ttl, policy: policy)
    }

    static func v2Message(_ bytes: [UInt8], policy: VRRPReceivePolicy = v2Policy) -> DropCase.Input {
        .message(bytes, source: ctl1, destination: group4, ttl: 255, policy: policy)
    }

    /// `base` changed by `change`, with a checksum that verifies again (v3 form when `source` is given).
    static func mutated(_ base: [UInt8], resumFor source: IPAddress?, destination: IPAddress = group4,
                        _ change: (inout [UInt8]) -> Void) -> [UInt8] {
        var bytes = base
        change(&bytes)
        refreshChecksum(&bytes, pseudoHeader: source.map { ($0, destination) })
        return bytes
    }

    static func v3Mutated(_ change: (inout [UInt8]) -> Void) -> [UInt8] { mutated(v3, resumFor: ctl1, change) }
    static func v2Mutated(_ change: (inout [UInt8]) -> Void) -> [UInt8] { mutated(v2, resumFor: nil, change) }
}

@Suite("VRRP codec drop reasons")
struct VRRPCodecDropTests {
    typealias F = DropFixtures

    static let cases: [DropCase] = [
        // ip_header
        DropCase(name: "datagram shorter than an IPv4 header", reason: .ipHeader,
                 input: .datagram(Array(ipv4Datagram(payload: F.v3, source: F.ctl1, destination: F.group4)
                    .prefix(19)), policy: F.v3Policy)),
        DropCase(name: "IP protocol 51 (AH) instead of 112", reason: .ipHeader,
                 input: .datagram(ipv4Datagram(payload: F.v3, source: F.ctl1, destination: F.group4, protocol: 51),
                                  policy: F.v3Policy)),
        DropCase(name: "IP total length beyond the datagram", reason: .ipHeader,
                 input: .datagram(Array(ipv4Datagram(payload: F.v3, source: F.ctl1, destination: F.group4)
                    .dropLast()), policy: F.v3Policy)),
        // family
        DropCase(name: "IPv6 sender on an IPv4 policy", reason: .family,
                 input: .message(F.v3, source: F.ctl1v6, destination: F.group4, ttl: 255, policy: F.v3Policy)),
        DropCase(name: "IPv4 packet on an IPv6 policy", reason: .family,
                 input: .message(F.v3, source: F.ctl1, destination: F.group4, ttl: 255, policy: F.v6Policy)),
        DropCase(name: "IPv6 destination with an IPv4 source", reason: .family,
                 input: .message(F.v3, source: F.ctl1, destination: F.group6, ttl: 255, policy: F.v3Policy)),
        DropCase(name: "VRRPv2 over IPv6", reason: .family,
                 input: .message(F.v6, source: F.ctl1v6, destination: F.group6, ttl: 255,
                                 policy: VRRPReceivePolicy(version: 2, vrids: [51], family: .v6))),
        // ttl
        DropCase(name: "TTL 254 (crossed a router)", reason: .ttl, input: F.v3Message(F.v3, ttl: 254)),
        DropCase(name: "TTL 1", reason: .ttl, input: F.v3Message(F.v3, ttl: 1)),
        DropCase(name: "hop limit 64 on IPv6", reason: .ttl,
                 input: .message(F.v6, source: F.ctl1v6, destination: F.group6, ttl: 64, policy: F.v6Policy)),
        DropCase(name: "TTL in the IP header of a datagram", reason: .ttl,
                 input: .datagram(ipv4Datagram(payload: F.v3, source: F.ctl1, destination: F.group4, ttl: 64),
                                  policy: F.v3Policy)),
        // truncated
        DropCase(name: "empty message", reason: .truncated, input: F.v3Message([])),
        DropCase(name: "7 bytes", reason: .truncated, input: F.v3Message(Array(F.v3.prefix(7)))),
        // version
        DropCase(name: "v2 packet on a v3 socket", reason: .version, input: F.v3Message(F.v2)),
        DropCase(name: "v3 packet on a v2 socket", reason: .version, input: F.v2Message(F.v3)),
        DropCase(name: "version nibble 4", reason: .version,
                 input: F.v3Message(F.v3Mutated { $0[0] = 0x41 })),
        // type
        DropCase(name: "type 2", reason: .type, input: F.v3Message(F.v3Mutated { $0[0] = 0x32 })),
        DropCase(name: "type 0", reason: .type, input: F.v2Message(F.v2Mutated { $0[0] = 0x20 })),
        // address_count
        DropCase(name: "count 0", reason: .addressCount,
                 input: F.v3Message(F.v3Mutated { $0[3] = 0; $0.removeLast(4) })),
        DropCase(name: "count 2 with one address", reason: .addressCount,
                 input: F.v3Message(F.v3Mutated { $0[3] = 2 })),
        DropCase(name: "trailing bytes after the addresses", reason: .addressCount,
                 input: F.v3Message(F.v3Mutated { $0 += [0, 0] })),
        DropCase(name: "v2 without its 8 bytes of auth data", reason: .addressCount,
                 input: F.v2Message(F.v2Mutated { $0.removeLast(8) })),
        DropCase(name: "IPv4-sized address in an IPv6 packet", reason: .addressCount,
                 input: .message(Array(F.v6.prefix(12)), source: F.ctl1v6, destination: F.group6, ttl: 255,
                                 policy: F.v6Policy)),
        // checksum
        DropCase(name: "a bit flipped in the address", reason: .checksum,
                 input: F.v3Message({ var b = F.v3; b[11] ^= 0x01; return b }())),
        DropCase(name: "checksum field zero", reason: .checksum,
                 input: F.v3Message({ var b = F.v3; b[6] = 0; b[7] = 0; return b }())),
        DropCase(name: "v3 checksum for another sender", reason: .checksum, input: F.v3Message(F.v3, source: F.ctl2)),
        DropCase(name: "v2 priority changed without a new checksum", reason: .checksum,
                 input: F.v2Message({ var b = F.v2; b[2] = 255; return b }())),
        DropCase(name: "IPv6 checksum for another destination", reason: .checksum,
                 input: .message(F.v6, source: F.ctl1v6, destination: ip("fe80::12"), ttl: 255, policy: F.v6Policy)),
        // vrid
        DropCase(name: "VRID 52 is another router's", reason: .vrid,
                 input: F.v3Message(F.v3Mutated { $0[1] = 52 })),
        DropCase(name: "v2 VRID 1", reason: .vrid, input: F.v2Message(F.v2Mutated { $0[1] = 1 })),
        // auth
        DropCase(name: "wrong password", reason: .auth,
                 input: F.v2Message(F.v2Mutated { $0[$0.count - 1] = UInt8(ascii: "3") })),
        DropCase(name: "password is a prefix of ours", reason: .auth,
                 input: F.v2Message(F.v2Mutated { $0[$0.count - 1] = 0 })),
        DropCase(name: "auth type 0 when we require PASS", reason: .auth,
                 input: F.v2Message(F.v2Mutated { $0[4] = 0 })),
        DropCase(name: "auth type 2 (IPsec AH)", reason: .auth, input: F.v2Message(F.v2Mutated { $0[4] = 2 })),
        DropCase(name: "auth type 7 (unknown)", reason: .auth, input: F.v2Message(F.v2Mutated { $0[4] = 7 })),
        DropCase(name: "PASS when we have no password", reason: .auth,
                 input: F.v2Message(F.v2, policy: F.v2NoAuthPolicy)),
        // advert_interval
        DropCase(name: "v3 interval 0", reason: .advertInterval,
                 input: F.v3Message(F.v3Mutated { $0[4] = 0; $0[5] = 0 })),
        DropCase(name: "v3 interval 0 with reserved bits set", reason: .advertInterval,
                 input: F.v3Message(F.v3Mutated { $0[4] = 0xF0; $0[5] = 0 })),
        DropCase(name: "v2 interval 0", reason: .advertInterval, input: F.v2Message(F.v2Mutated { $0[5] = 0 })),
        DropCase(name: "v2 interval 2 s when ours is 1 s", reason: .advertInterval,
                 input: F.v2Message(F.v2Mutated { $0[5] = 2 })),
        // source
        DropCase(name: "v3 from a stranger", reason: .source,
                 input: F.v3Message(F.mutated(F.v3, resumFor: F.stranger) { _ in }, source: F.stranger)),
        DropCase(name: "v2 from ctl3, not in the v2 policy", reason: .source,
                 input: .message(F.v2, source: F.ctl3, destination: F.group4, ttl: 255, policy: F.v2Policy)),
        // Any link-local sender is accepted for IPv6 (RFC 9568 sources; VRRPCodecIPv6SourceTests), so
        // `source` drops IPv6 senders that are neither link-local nor allowed, and link-local ones
        // when the policy opts out.
        DropCase(name: "IPv6 from a global address that is not allowed", reason: .source,
                 input: .message(F.mutated(F.v6, resumFor: ip("2001:2::99"), destination: F.group6) { _ in },
                                 source: ip("2001:2::99"), destination: F.group6, ttl: 255, policy: F.v6Policy)),
        DropCase(name: "IPv6 from another link-local address, acceptLinkLocal off", reason: .source,
                 input: .message(F.mutated(F.v6, resumFor: ip("fe80::99"), destination: F.group6) { _ in },
                                 source: ip("fe80::99"), destination: F.group6, ttl: 255,
                                 policy: VRRPReceivePolicy(vrids: [51], allowedSources: [F.ctl1v6], acceptLinkLocal: false, family: .v6))),
    ]

    @Test("each mutated packet is dropped for its reason", arguments: cases)
    func dropped(_ item: DropCase) {
        #expect(item.outcome() == item.reason)
    }

    @Test("the table covers every drop reason")
    func everyReasonCovered() {
        #expect(Set(Self.cases.map(\.reason)) == Set(VRRPDropReason.allCases))
    }

    @Test("the unmutated base packets are accepted")
    func basesAccepted() throws {
        let bases: [DropCase.Input] = [
            F.v3Message(F.v3), F.v3Message(F.v3, source: F.ctl1, ttl: 255),
            .message(F.v6, source: F.ctl1v6, destination: F.group6, ttl: 255, policy: F.v6Policy),
            F.v2Message(F.v2),
            .datagram(ipv4Datagram(payload: F.v3, source: F.ctl1, destination: F.group4), policy: F.v3Policy),
            // Any sender is allowed when the allow-list is empty.
            .message(F.mutated(F.v3, resumFor: F.stranger) { _ in }, source: F.stranger, destination: F.group4,
                     ttl: 255, policy: VRRPReceivePolicy(vrids: [51], family: .v4)),
            // v2 auth data is ignored with auth type 0, and the interval is free without a required one.
            .message(F.v2Mutated { $0[4] = 0; $0[5] = 7 }, source: F.ctl1, destination: F.group4, ttl: 255,
                     policy: F.v2NoAuthPolicy),
            // v3 reserved bits are ignored on receive.
            F.v3Message(F.v3Mutated { $0[4] |= 0xF0 }),
        ]
        for input in bases {
            #expect(DropCase(name: "base", reason: .checksum, input: input).outcome() == nil)
        }
    }

    @Test("metric label values are snake_case and distinct")
    func labelValues() {
        let values = VRRPDropReason.allCases.map(\.rawValue)
        #expect(Set(values).count == values.count)
        for value in values {
            #expect(value.allSatisfy { $0 == "_" || ("a"..."z").contains($0) }, "\(value)")
            #expect(!VRRPDropReason(rawValue: value)!.explanation.isEmpty)
        }
        #expect(VRRPDropReason.addressCount.rawValue == "address_count")
        #expect(VRRPDropReason.advertInterval.rawValue == "advert_interval")
    }
}
