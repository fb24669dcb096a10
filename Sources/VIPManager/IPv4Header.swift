import HACore

/// The fields of an IPv4 header that a raw-socket receiver needs.
///
/// Linux raw IPv4 sockets deliver the datagram with its IP header, so the receiver reads the TTL and
/// addresses from there. (Raw IPv6 sockets deliver no header: the hop limit comes from an
/// `IPV6_HOPLIMIT` control message instead.) Pure and thread-safe.
public enum IPv4Header {
    /// Parses an IPv4 datagram as received on a raw socket.
    ///
    /// Honours the IHL (options are skipped) and the total length: a datagram shorter than its total
    /// length is rejected, bytes beyond it (link padding) are cut off the payload. The header checksum
    /// is not verified: the kernel drops datagrams with a bad one before a raw socket sees them.
    /// - Returns: nil when the bytes are not a complete IPv4 datagram.
    public static func parse(
        _ datagram: some Collection<UInt8>
    ) -> (source: IPAddress, destination: IPAddress, ttl: Int, protocol: UInt8, payload: ArraySlice<UInt8>)? {
        let bytes = Array(datagram)
        guard bytes.count >= minimumLength, bytes[0] >> 4 == 4 else { return nil }
        let headerLength = Int(bytes[0] & 0x0F) * 4
        let totalLength = Int(bytes[2]) << 8 | Int(bytes[3])
        guard headerLength >= minimumLength, totalLength >= headerLength, totalLength <= bytes.count,
              let source = IPAddress(bytes: bytes[12..<16]),
              let destination = IPAddress(bytes: bytes[16..<20]) else { return nil }
        return (source, destination, Int(bytes[8]), bytes[9], bytes[headerLength..<totalLength])
    }

    /// A header without options.
    static let minimumLength = 20
}
