#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import HACore

/// Sends the takeover announcements for one interface: gratuitous ARP for IPv4, unsolicited
/// Neighbour Advertisements for IPv6.
///
/// Effects only: how many to send and when is the caller's decision.
///
/// Threads: `announce` is synchronous (one netlink link lookup plus one `sendto`, tens of
/// microseconds) and never waits for the network; call it from a dedicated thread, not the
/// cooperative pool. All state is immutable after `init`, so the instance may be shared.
///
/// Namespaces: the sockets are opened, and the interface's IPv6 `forwarding` sysctl is read
/// (once; recreate the announcer to pick up a change), in `init`, in the network namespace of the
/// calling thread, which must be the namespace of `manager`'s socket.
///
/// The interface's index and MAC are looked up on every `announce`, so an interface that was
/// recreated or changed its MAC (bond failover) is announced correctly.
public final class Announcer: Sendable {
    /// The interface announcements go out on.
    public let interface: String
    private let manager: AddressManager
    /// AF_PACKET datagram socket opened with protocol 0: it sends ARP (the protocol is given per
    /// `sendto`) but is bound to no protocol, so it never queues received frames.
    private let arpSocket: Int32
    /// Raw ICMPv6 socket with every type filtered out on receive; a failure when the kernel has
    /// no IPv6 is kept and thrown by the first IPv6 announce instead of failing IPv4 users.
    private let ndSocket: Result<Int32, NetlinkError>
    /// The interface forwarded IPv6 at `init`: NAs then carry the Router flag, as the kernel's own
    /// unsolicited NAs do (a cleared flag would make hosts drop us as a default router).
    private let ipv6Router: Bool

    /// Opens the announcement sockets for `interface`.
    /// - Throws: `interfaceNotFound`; `socket` with errno (EPERM without CAP_NET_RAW).
    public init(interface: String, manager: AddressManager) throws(NetlinkError) {
        _ = try manager.interfaceIndex(interface)
        let arp = try AnnouncerSystemCall.socket(AF_PACKET, Int32(SOCK_DGRAM.rawValue), 0)
        let nd: Result<Int32, NetlinkError>
        do {
            nd = .success(try Self.openNeighborDiscoverySocket())
        } catch {
            guard case .socket(code: EAFNOSUPPORT, _) = error else {
                close(arp)
                throw error
            }
            nd = .failure(error)
        }
        self.interface = interface
        self.manager = manager
        self.arpSocket = arp
        self.ndSocket = nd
        self.ipv6Router = Self.forwardsIPv6(interface)
    }

    deinit {
        close(arpSocket)
        if case .success(let fd) = ndSocket { close(fd) }
    }

    /// Sends one gratuitous ARP (IPv4, request form: sender = target = `address`, broadcast) or one
    /// unsolicited NA (IPv6, to ff02::1, hop limit 255, Override set, target link-layer option).
    ///
    /// Announce after `AddressManager.add`. An IPv4 address need not be on the interface; an IPv6
    /// NA takes the source the kernel picks for ff02::1 on the interface (a link-local address,
    /// else the VIP itself, usable at once thanks to NODAD), so with neither present it fails
    /// with EADDRNOTAVAIL.
    /// - Throws: `interfaceNotFound`; `operation` with errno from `sendto` (ENETDOWN when the
    ///   link is down, EADDRNOTAVAIL as above) or when the interface has no 6-byte MAC;
    ///   `socket` (EAFNOSUPPORT) for IPv6 on a kernel without IPv6.
    public func announce(_ address: IPAddress) throws(NetlinkError) {
        let link = try manager.link(interface)
        guard link.hardwareAddress.count == 6 else {
            throw .operation(op: "announce \(address) on \(interface)", code: EINVAL,
                             message: "interface has no 6-byte hardware address")
        }
        switch address {
        case .v4(let value):
            try sendARP(AnnouncementPacket.gratuitousARP(senderMAC: link.hardwareAddress, address: value),
                        index: link.index, address: address)
        case .v6(let value):
            try sendNA(AnnouncementPacket.unsolicitedNA(target: value, mac: link.hardwareAddress,
                                                        router: ipv6Router),
                       index: link.index, address: address)
        }
    }

    private func sendARP(_ packet: [UInt8], index: Int32, address: IPAddress) throws(NetlinkError) {
        var destination = sockaddr_ll()
        destination.sll_family = UInt16(AF_PACKET)
        destination.sll_protocol = UInt16(ETH_P_ARP).bigEndian
        destination.sll_ifindex = index
        destination.sll_halen = 6
        destination.sll_addr = (0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0)
        try AnnouncerSystemCall.run("send gratuitous ARP for \(address) on \(interface)") {
            withUnsafePointer(to: &destination) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(arpSocket, packet, packet.count, 0, socketAddress,
                           socklen_t(MemoryLayout<sockaddr_ll>.size))
                }
            }
        }
    }

    private func sendNA(_ packet: [UInt8], index: Int32, address: IPAddress) throws(NetlinkError) {
        let fd = try ndSocket.get()
        var destination = sockaddr_in6()
        destination.sin6_family = sa_family_t(AF_INET6)
        // ff02::1, all nodes on the link; the scope id picks the interface.
        withUnsafeMutableBytes(of: &destination.sin6_addr) { raw in
            raw.copyBytes(from: IPAddress.v6(0xFF02_0000_0000_0000_0000_0000_0000_0001).bytes)
        }
        destination.sin6_scope_id = UInt32(bitPattern: index)
        try AnnouncerSystemCall.run("send unsolicited NA for \(address) on \(interface)") {
            withUnsafePointer(to: &destination) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(fd, packet, packet.count, 0, socketAddress,
                           socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    private static func openNeighborDiscoverySocket() throws(NetlinkError) -> Int32 {
        let fd = try AnnouncerSystemCall.socket(AF_INET6, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_ICMPV6))
        do {
            // Receivers drop neighbour discovery with any other hop limit (RFC 4861 §7.1.2).
            try AnnouncerSystemCall.setOption(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, Int32(255), "IPV6_MULTICAST_HOPS")
            try AnnouncerSystemCall.setOption(fd, Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, Int32(255), "IPV6_UNICAST_HOPS")
            try AnnouncerSystemCall.setOption(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_LOOP, Int32(0), "IPV6_MULTICAST_LOOP")
            // All 256 ICMPv6 types blocked on receive, so nothing is ever queued.
            let blockAll = (UInt32.max, UInt32.max, UInt32.max, UInt32.max,
                            UInt32.max, UInt32.max, UInt32.max, UInt32.max)
            try AnnouncerSystemCall.setOption(fd, Int32(IPPROTO_ICMPV6), ICMP6_FILTER, blockAll, "ICMP6_FILTER")
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Reads `net.ipv6.conf.<interface>.forwarding` in the calling thread's namespace; false when
    /// unreadable (no IPv6).
    private static func forwardsIPv6(_ interface: String) -> Bool {
        let fd = open("/proc/sys/net/ipv6/conf/\(interface)/forwarding", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) == 1 && byte != UInt8(ascii: "0")
    }
}
