import HACore
import Testing
@testable import VIPManager

/// Random and randomly mutated packets: decode must never trap and must return a verdict that is
/// consistent with the policy.
@Suite("VRRP codec fuzz")
struct VRRPCodecFuzzTests {
    static let iterations = 10_000
    static let sources4 = [ip("198.18.0.11"), ip("198.18.0.12"), ip("198.18.0.13")]
    static let sources6 = [ip("fe80::11"), ip("fe80::12")]
    /// Every generated sender but 198.18.0.13, so that `source` drops happen.
    static let allowed = Set(sources4 + sources6).subtracting([ip("198.18.0.13")])

    static func randomBytes(count: Int, using rng: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A valid advertisement of a random shape, encoded for (source, destination).
    static func validPacket(
        version: Int, v4: Bool, using rng: inout SplitMix64
    ) -> (bytes: [UInt8], source: IPAddress, destination: IPAddress, authPass: [UInt8]?) {
        let source = v4 ? sources4.randomElement(using: &rng)! : sources6.randomElement(using: &rng)!
        let destination = v4 ? VRRPCodec.multicastGroupIPv4 : VRRPCodec.multicastGroupIPv6
        let count = Int.random(in: 1...4, using: &rng)
        let addresses: [IPAddress] = (0..<count).map { _ in
            v4 ? .v4(UInt32.random(in: 0...UInt32.max, using: &rng))
               : .v6(UInt128(UInt64.random(in: 0...UInt64.max, using: &rng)) << 64 | 0x10)
        }
        let authPass: [UInt8]? = version == 2 && Bool.random(using: &rng) ? Array("secret12".utf8) : nil
        let interval: Duration = version == 3 ? .milliseconds(10 * Int.random(in: 1...4095, using: &rng))
                                              : .seconds(Int.random(in: 1...255, using: &rng))
        let adv = VRRPAdvertisement(version: version, vrid: UInt8.random(in: 1...3, using: &rng),
                                    priority: UInt8.random(in: 0...255, using: &rng), maxAdvertInterval: interval,
                                    addresses: addresses, authPass: authPass)
        return ((try? VRRPCodec.encode(adv, source: source, destination: destination)) ?? [], source, destination, authPass)
    }

    static func mutate(_ bytes: inout [UInt8], using rng: inout SplitMix64) {
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 3: bytes += randomBytes(count: Int.random(in: 1...20, using: &rng), using: &rng)
            case 4 where bytes.count > 3: bytes[3] = UInt8.random(in: 0...255, using: &rng)
            default: if !bytes.isEmpty { bytes[0] ^= 0x10 }   // another version
            }
        }
    }

    @Test("10,000 random and mutated packets never trap and always get a consistent verdict")
    func fuzz() {
        var rng = SplitMix64(seed: 0x6861_6374_6C5F_7672)   // "hactl_vr"
        var accepted = 0
        var reasons: [VRRPDropReason: Int] = [:]
        for iteration in 0..<Self.iterations {
            let version = Bool.random(using: &rng) ? 3 : 2
            let v4 = version == 2 || Bool.random(using: &rng)
            var (bytes, source, destination, authPass) = Self.validPacket(version: version, v4: v4, using: &rng)
            switch iteration % 4 {
            case 0:   // pure noise
                bytes = Self.randomBytes(count: Int.random(in: 0...80, using: &rng), using: &rng)
            case 1:   // mutated, checksum left as is
                Self.mutate(&bytes, using: &rng)
            case 2:   // mutated, then checksummed again so that deeper checks run
                Self.mutate(&bytes, using: &rng)
                refreshChecksum(&bytes, pseudoHeader: version == 3 ? (source, destination) : nil)
            default:  // valid
                break
            }
            let policy = VRRPReceivePolicy(
                version: Int.random(in: 0..<4, using: &rng) != 0 ? version : 5 - version,
                vrids: [1, 2], authPass: Bool.random(using: &rng) ? authPass : nil,
                allowedSources: Bool.random(using: &rng) ? [] : Self.allowed,
                family: v4 ? .v4 : .v6)
            let ttl = Int.random(in: 0...15, using: &rng) == 0 ? Int.random(in: 0...254, using: &rng) : 255

            switch VRRPCodec.decode(bytes, source: source, destination: destination, ttl: ttl, policy: policy) {
            case .success(let adv):
                accepted += 1
                #expect(adv.version == policy.version)
                #expect(policy.vrids.contains(adv.vrid))
                #expect(!adv.addresses.isEmpty && adv.addresses.allSatisfy { $0.isIPv4 == v4 })
                #expect(adv.maxAdvertInterval > .zero)
                #expect(ttl == 255)
                #expect(policy.allowedSources.isEmpty || policy.allowedSources.contains(source)
                        || (policy.family == .v6 && policy.acceptLinkLocal && source.isIPv6LinkLocal))
                #expect(adv.version == 3 || VRRPCodec.authData(adv.authPass) == VRRPCodec.authData(policy.authPass))
                // Whatever was accepted re-encodes to something that is accepted as the same advert.
                let again = (try? VRRPCodec.encode(adv, source: source, destination: destination)) ?? []
                #expect(VRRPCodec.decode(again, source: source, destination: destination, ttl: 255,
                                         policy: policy) == .success(adv))
            case .failure(let reason):
                reasons[reason, default: 0] += 1
                #expect(reason != .ipHeader)
            }

            // The datagram path must hold up to the same bytes used as a whole IPv4 datagram.
            if iteration % 2 == 0, v4 {
                _ = IPv4Header.parse(bytes)
                _ = VRRPCodec.decodeIPv4Datagram(
                    ipv4Datagram(payload: bytes, source: source, destination: destination), policy: policy)
            }
        }
        // The generator must reach past the cheap checks, or the fuzzing proves little.
        #expect(accepted > Self.iterations / 20)
        let reached = Set(reasons.keys)
        let expected: Set<VRRPDropReason> = [.ttl, .truncated, .version, .type, .addressCount, .checksum, .vrid,
                                             .auth, .source]
        #expect(expected.isSubset(of: reached), "reached: \(reasons)")
    }

    @Test("random datagrams never trap the IPv4 header parser")
    func fuzzIPv4Header() {
        var rng = SplitMix64(seed: 42)
        var parsed = 0
        for _ in 0..<Self.iterations {
            var bytes = Self.randomBytes(count: Int.random(in: 0...64, using: &rng), using: &rng)
            if bytes.count >= 4, Bool.random(using: &rng) {
                bytes[0] = 0x45   // make many of them plausible
                bytes[2] = 0
                bytes[3] = UInt8.random(in: 0...UInt8(min(bytes.count + 2, 255)), using: &rng)
            }
            if let header = IPv4Header.parse(bytes) {
                parsed += 1
                #expect(header.payload.endIndex <= bytes.count)
                #expect(header.payload.startIndex >= 20)
            }
        }
        #expect(parsed > 0)
    }
}
