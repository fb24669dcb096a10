import HACore

/// One VRRP packet as read from a `VRRPSocket`, split into what `VRRPCodec.decode` needs.
///
/// A plain value, safe to share between threads. Nothing here has been validated beyond the IP layer:
/// the TTL, checksum and contents are the codec's to check.
public struct ReceivedDatagram: Sendable, Equatable {
    /// The sender: the IPv4 header's source, or the IPv6 source from `recvmsg`'s address.
    public var source: IPAddress
    /// Where it was sent: the IPv4 header's destination, or the `IPV6_PKTINFO` destination
    /// (the multicast group, or one of this node's addresses for unicast adverts).
    public var destination: IPAddress
    /// The IPv4 TTL or the IPv6 hop limit (`IPV6_HOPLIMIT`) as received; VRRP requires 255.
    public var ttl: Int
    /// The VRRP message: the IP payload, without any IP header.
    public var message: [UInt8]

    /// Builds a datagram; the engine's tests use it to inject packets.
    public init(source: IPAddress, destination: IPAddress, ttl: Int, message: [UInt8]) {
        self.source = source
        self.destination = destination
        self.ttl = ttl
        self.message = message
    }
}
