import HACore
@testable import VIPManager

/// Bytes from a hex string; spaces and newlines are ignored so vectors can be laid out by field.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    precondition(digits.count.isMultiple(of: 2), "odd number of hex digits")
    var result: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        result.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return result
}

/// Lower-case hex, for readable failure messages.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

func ip(_ text: String) -> IPAddress {
    guard let address = IPAddress(text) else { preconditionFailure("bad test address \(text)") }
    return address
}

/// SplitMix64: a small, seeded, reproducible generator for the fuzz tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Rewrites the checksum of a VRRP message after a test changed other bytes on purpose: with the
/// pseudo-header of `pseudoHeader` (the v3 form), or over the message alone (the v2 form).
func refreshChecksum(_ message: inout [UInt8], pseudoHeader: (source: IPAddress, destination: IPAddress)?) {
    guard message.count >= 8 else { return }
    message[6] = 0
    message[7] = 0
    var sum = OnesComplementSum()
    if let pseudoHeader {
        sum.add(VRRPCodec.pseudoHeader(source: pseudoHeader.source, destination: pseudoHeader.destination,
                                       length: message.count))
    }
    sum.add(message)
    let checksum = ~sum.folded
    message[6] = UInt8(checksum >> 8)
    message[7] = UInt8(checksum & 0xFF)
}

/// Builds an IPv4 datagram around a payload (no options unless given), with a correct header checksum.
func ipv4Datagram(
    payload: [UInt8], source: IPAddress, destination: IPAddress, ttl: UInt8 = 255, protocol: UInt8 = 112,
    options: [UInt8] = []
) -> [UInt8] {
    precondition(options.count.isMultiple(of: 4))
    let headerLength = 20 + options.count
    let total = headerLength + payload.count
    var header: [UInt8] = [
        0x40 | UInt8(headerLength / 4), 0xC0, UInt8(total >> 8), UInt8(total & 0xFF),
        0, 1, 0, 0, ttl, `protocol`, 0, 0,
    ] + source.bytes + destination.bytes + options
    var sum = OnesComplementSum()
    sum.add(header)
    let checksum = ~sum.folded
    header[10] = UInt8(checksum >> 8)
    header[11] = UInt8(checksum & 0xFF)
    return header + payload
}
