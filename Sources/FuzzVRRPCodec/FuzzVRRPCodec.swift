import FuzzSupport
import HACore
import VIPManager

/// libFuzzer target: `VRRPCodec.decode` (v2 and v3, IPv4 and IPv6) and `decodeIPv4Datagram`, with
/// every drop reason reachable. Input: a control byte, a VRID (the policy serves it and the next;
/// an odd one turns link-local acceptance off), a policy byte (bits 0-6: required v2 interval in
/// seconds, 0 none; bit 7: any sender allowed), 16 bytes of sender address, then the VRRP message
/// (or, in datagram mode, the whole IPv4 datagram).
///
/// Control byte: bit 0 VRRPv2 (else v3), bit 1 IPv6 (else IPv4), bit 2 raw IPv4 datagram, bit 3 the
/// harness writes a correct checksum first (so mutations get past that check), bit 4 v2 password
/// "hactl", bits 5-6 sender (0: an allowed controller, 1: link-local, 2: from the input, 3: other),
/// bit 7 TTL 254 (else 255).
///
/// Must never trap; `ip_header` only in datagram mode; an accepted advert matches the policy and
/// its header, and survives an encode/decode round trip unchanged.
enum FuzzVRRPCodec {
    static let controller4 = IPAddress.v4(0xC612_000B)   // 198.18.0.11
    static let controller6 = IPAddress.v6(0x2001_0DB8_0000_0000_0000_0000_0000_000B)
    static let linkLocal = IPAddress.v6(0xFE80_0000_0000_0000_0000_0000_0000_0001)
    static let stranger4 = IPAddress.v4(0xC612_0063)     // 198.18.0.99

    static func one(_ data: [UInt8]) {
        var input = FuzzReader(data)
        let control = input.byte()
        let vrid = input.byte()
        let intervalByte = input.byte()
        let addressBytes = (0..<16).map { _ in input.byte() }
        var message = input.rest()

        let version = control & 1 == 1 ? 2 : 3
        let family: VRRPReceivePolicy.Family = control & 2 == 2 ? .v6 : .v4
        let datagram = control & 4 == 4
        let fixChecksum = control & 8 == 8
        let password: [UInt8]? = control & 16 == 16 ? Array("hactl".utf8) : nil
        let ttl = control & 128 == 128 ? 254 : 255
        var source: IPAddress
        switch (control >> 5) & 3 {
        case 0: source = family == .v4 ? controller4 : controller6
        case 1: source = linkLocal
        case 2: source = IPAddress(bytes: family == .v4 ? Array(addressBytes.prefix(4)) : addressBytes) ?? stranger4
        default: source = stranger4
        }
        let destination = family == .v4 ? VRRPCodec.multicastGroupIPv4 : VRRPCodec.multicastGroupIPv6
        let policy = VRRPReceivePolicy(
            version: version, vrids: [vrid, vrid &+ 1], authPass: password,
            requiredAdvertInterval: intervalByte & 0x7F == 0 ? nil : .seconds(Int(intervalByte & 0x7F)),
            allowedSources: intervalByte & 0x80 == 0x80 ? [] : [controller4, controller6],
            acceptLinkLocal: vrid & 1 == 0, family: family)

        let result: Result<VRRPAdvertisement, VRRPDropReason>
        let vrrpMessage: [UInt8]
        if datagram {
            if fixChecksum, message.count >= 20 {
                let start = Int(message[0] & 0x0F) * 4
                if start >= 20, start <= message.count,
                   let s = IPAddress(bytes: message[12..<16]), let d = IPAddress(bytes: message[16..<20]) {
                    var payload = Array(message[start...])
                    writeChecksum(&payload, version: version, source: s, destination: d)
                    message.replaceSubrange(start..., with: payload)
                    source = s
                }
            }
            let decoded = VRRPCodec.decodeIPv4Datagram(message, policy: policy)
            result = decoded.map(\.advertisement)
            if case .success(let pair) = decoded { source = pair.source }
            let start = message.isEmpty ? 0 : min(Int(message[0] & 0x0F) * 4, message.count)
            vrrpMessage = Array(message[start...])
        } else {
            if fixChecksum { writeChecksum(&message, version: version, source: source, destination: destination) }
            result = VRRPCodec.decode(message, source: source, destination: destination, ttl: ttl, policy: policy)
            vrrpMessage = message
        }

        fuzzNote("v\(version) \(family) datagram=\(datagram) from \(source): \(result)")
        switch result {
        case .failure(let reason):
            fuzzCheck(datagram || reason != .ipHeader, "ip_header outside datagram mode")
        case .success(let adv):
            if !datagram { check(adv, message: vrrpMessage, policy: policy) }
            fuzzCheck(adv.version == version, "version \(adv.version), policy \(version)")
            fuzzCheck(policy.vrids.contains(adv.vrid), "VRID \(adv.vrid) not in the policy")
            fuzzCheck(adv.maxAdvertInterval > .zero, "zero interval accepted")
            fuzzCheck(!adv.addresses.isEmpty && adv.addresses.allSatisfy { ($0.isIPv4) == (family == .v4) },
                      "addresses of the wrong family or none")
            if datagram { return }   // the datagram's own destination is not known here
            // What we would send for this advert decodes to the same advert.
            let encoded: [UInt8]
            do { encoded = try VRRPCodec.encode(adv, source: source, destination: destination) } catch {
                fuzzCheck(false, "an accepted advert does not encode: \(error)"); return
            }
            let again = VRRPCodec.decode(encoded, source: source, destination: destination, ttl: 255, policy: policy)
            fuzzCheck((try? again.get()) == adv, "round trip differs: \(adv) -> \(again)")
        }
    }

    /// The accepted fields are the message's own.
    static func check(_ adv: VRRPAdvertisement, message: [UInt8], policy: VRRPReceivePolicy) {
        fuzzCheck(message.count >= 8 && Int(message[3]) == adv.addresses.count, "address count differs from the header")
        fuzzCheck(adv.vrid == message[1] && adv.priority == message[2], "VRID or priority differs from the header")
    }

    /// Writes the Internet checksum the codec expects (v3: with the pseudo-header) into bytes 6-7.
    static func writeChecksum(_ message: inout [UInt8], version: Int, source: IPAddress, destination: IPAddress) {
        guard message.count >= 8 else { return }
        message[6] = 0
        message[7] = 0
        var words: [UInt8] = []
        if version == 3 {
            words += source.bytes + destination.bytes
            if source.isIPv4 {
                words += [0, 112, UInt8(truncatingIfNeeded: message.count >> 8), UInt8(truncatingIfNeeded: message.count)]
            } else {
                words += (0..<4).reversed().map { UInt8(truncatingIfNeeded: message.count >> ($0 * 8)) } + [0, 0, 0, 112]
            }
        }
        words += message
        var sum: UInt64 = 0
        var i = 0
        while i + 1 < words.count { sum += UInt64(words[i]) << 8 | UInt64(words[i + 1]); i += 2 }
        if i < words.count { sum += UInt64(words[i]) << 8 }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        let checksum = ~UInt16(sum)
        message[6] = UInt8(checksum >> 8)
        message[7] = UInt8(checksum & 0xFF)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVRRPCodec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzVRRPCodec.one(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if !HACTL_FUZZ
@main struct FuzzVRRPCodecReplay {
    static func main() { FuzzSupport.replayMain(FuzzVRRPCodec.one) }
}
#endif
