#if canImport(Glibc)
import Glibc
#endif
import HACore
import Synchronization

/// A raw IP socket for VRRP (IP protocol 112) on one interface and one address family.
///
/// Opened ready for VRRPv2/v3 on the wire: bound to the interface, TTL / hop limit 255 for unicast and
/// multicast, multicast out of the interface (so it works without a default route), multicast loop
/// off, joined to 224.0.0.18 or ff02::12 on the interface. One socket receives every protocol-112
/// packet arriving on its interface (all VRIDs, multicast and unicast); filtering is the codec's job.
///
/// Threading: built to be driven by ONE engine thread that polls `fileDescriptor` for `POLLIN` and
/// computes its own timeouts. Every call is non-blocking and returns at once; none creates a thread.
/// Calls are serialized by a mutex (held only across non-blocking system calls), so the socket may be
/// opened on one thread and handed to another, and `close()` from elsewhere is safe.
///
/// Network namespaces: the socket belongs to the namespace of the thread that calls `init`, and
/// `interface` is looked up there. The interface index is resolved once: if the interface is deleted
/// (calls then fail with ENODEV/ENXIO), close the socket and open a new one.
public final class VRRPSocket: Sendable {
    /// IPv4 or IPv6; the same type as `VRRPReceivePolicy.family`.
    public typealias Family = VRRPReceivePolicy.Family

    /// The interface name given to `init`.
    public let interface: String
    /// Its index at the time the socket was opened.
    public let interfaceIndex: Int32
    /// The address family of every address sent to or received from.
    public let family: Family
    /// The source address every packet is sent from, when one was given to `init`.
    public let sourceAddress: IPAddress?

    /// `IP_PKTINFO` / `IPV6_PKTINFO` naming the interface and source, prepared once; empty without a source.
    private let sendControl: [UInt8]
    private let state: Mutex<State>

    private struct State {
        var fd: Int32
        /// One read buffer for the socket's lifetime: control data first, then 64 KiB for the datagram,
        /// which holds any IP datagram, so nothing is truncated.
        var buffer = [UInt8](repeating: 0, count: ControlMessages.receiveCapacity + VRRPSocket.receiveBufferLength)
        var discarded = 0
    }

    static let receiveBufferLength = 65_536
    /// `SO_RCVBUF` request: ~1000 queued adverts, so a busy engine thread loses none of them.
    static let kernelReceiveBuffer: Int32 = 1 << 20

    /// Opens and configures the socket. Requires CAP_NET_RAW (root).
    ///
    /// - Parameters:
    ///   - interface: the interface name in the calling thread's network namespace.
    ///   - family: `.v4` (joins 224.0.0.18) or `.v6` (joins ff02::12).
    ///   - sourceAddress: optional source for every packet sent (`IP_PKTINFO` / `IPV6_PKTINFO`); it must be
    ///     an address of this host. VRRPv3 checksums cover the source, so the engine should name the one
    ///     it encoded with (for IPv6 the interface's link-local address, RFC 9568 §5.1.2.1). Without it
    ///     the kernel picks the interface's primary address. Unlike `bind`, this does not narrow what
    ///     the socket receives.
    /// - Throws: `.interfaceNotFound` for an unknown interface; `.system` naming the failing call
    ///   (`socket` with EPERM without CAP_NET_RAW, `setsockopt(...)`); `.addressFamily` when
    ///   `sourceAddress` is not of `family`.
    public init(interface: String, family: Family, sourceAddress: IPAddress? = nil) throws(VRRPSocketError) {
        if let sourceAddress, Family(of: sourceAddress) != family {
            throw .addressFamily("source address \(sourceAddress) does not match the \(family) VRRP socket on \(interface)")
        }
        let index = try Self.interfaceIndex(of: interface)
        let fd = try SystemCall.run("socket") {
            socket(family == .v4 ? AF_INET : AF_INET6,
                   Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                   Int32(VRRPCodec.ipProtocol))
        }
        do {
            try Self.configure(fd, family: family, interface: interface, index: index)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.interface = interface
        self.interfaceIndex = index
        self.family = family
        self.sourceAddress = sourceAddress
        self.sendControl = sourceAddress.map { source in
            family == .v4 ? ControlMessages.ipv4PacketInfo(source: source, interfaceIndex: index)
                : ControlMessages.ipv6PacketInfo(source: source, interfaceIndex: index)
        } ?? []
        self.state = Mutex(State(fd: fd))
    }

    deinit {
        close()
    }

    /// The socket's descriptor for the engine's `poll`/`epoll` (`POLLIN` = datagrams to `receive`);
    /// -1 once closed. Do not read, write or close it directly.
    public var fileDescriptor: Int32 {
        state.withLock { $0.fd }
    }

    /// Datagrams read and thrown away so far because they could not be split into a
    /// `ReceivedDatagram` (unparseable IPv4 header, missing IPv6 ancillary data, truncation).
    /// Not expected from a Linux kernel; exposed so the engine can count it with its drops.
    public var discardedCount: Int {
        state.withLock { $0.discarded }
    }

    /// Closes the descriptor. Idempotent; later `send`/`receive` calls fail with EBADF.
    public func close() {
        let fd = state.withLock { state in
            defer { state.fd = -1 }
            return state.fd
        }
        if fd >= 0 { Glibc.close(fd) }
    }
}

// MARK: - Sending and receiving

extension VRRPSocket {
    /// Sends one VRRP message (encoded by `VRRPCodec` for this source and `destination`) to the
    /// multicast group or a unicast peer. The kernel adds the IP header (TTL / hop limit 255).
    ///
    /// Non-blocking: never waits. A full send buffer is thrown as `.system(call: "sendmsg", errno: EAGAIN)`
    /// (`wouldBlock` is true); the advert is then lost and the caller counts it.
    /// Link-scoped IPv6 destinations (ff02::12, fe80::/10) are scoped to this interface.
    /// - Parameter source: the source address for this packet (`IP_PKTINFO` / `IPV6_PKTINFO`), which
    ///   overrides the one given to `init`; the engine passes the address it encoded with (for IPv6
    ///   the interface's link-local address, looked up again when it changes). Nil: `init`'s.
    /// - Throws: `.addressFamily` when `destination` or `source` is not of the socket's family.
    public func send(_ message: [UInt8], to destination: IPAddress, from source: IPAddress? = nil) throws(VRRPSocketError) {
        guard Family(of: destination) == family else {
            throw .addressFamily("destination \(destination) does not match the \(family) VRRP socket on \(interface)")
        }
        let scope = SocketAddress.needsScope(destination) ? UInt32(bitPattern: interfaceIndex) : 0
        let address = SocketAddress(destination, scopeID: scope)
        var control = sendControl
        if let source {
            guard Family(of: source) == family else {
                throw .addressFamily("source \(source) does not match the \(family) VRRP socket on \(interface)")
            }
            control = family == .v4 ? ControlMessages.ipv4PacketInfo(source: source, interfaceIndex: interfaceIndex)
                : ControlMessages.ipv6PacketInfo(source: source, interfaceIndex: interfaceIndex)
        }
        try state.withLock { (state) throws(VRRPSocketError) in
            let fd = state.fd
            try SystemCall.run("sendmsg") { Self.sendOne(fd, message, to: address, control: control) }
        }
    }

    /// One `sendmsg` of `message` to `address` with the prepared control data (none if empty).
    private static func sendOne(_ fd: Int32, _ message: [UInt8], to address: SocketAddress, control: [UInt8]) -> Int {
        address.withSockaddr { name, nameLength in
            message.withUnsafeBytes { payload in
                control.withUnsafeBytes { control in
                    var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: payload.baseAddress), iov_len: payload.count)
                    return withUnsafeMutablePointer(to: &iov) { iov in
                        var header = msghdr()
                        header.msg_name = UnsafeMutableRawPointer(mutating: name)
                        header.msg_namelen = nameLength
                        header.msg_iov = iov
                        header.msg_iovlen = 1
                        header.msg_control = control.isEmpty ? nil : UnsafeMutableRawPointer(mutating: control.baseAddress)
                        header.msg_controllen = control.count
                        return sendmsg(fd, &header, Int32(MSG_DONTWAIT))
                    }
                }
            }
        }
    }

    /// Reads the datagrams available now, until the socket would block or `limit` datagrams were read.
    ///
    /// Non-blocking: returns `[]` when nothing is queued. IPv4: source, destination and TTL come from
    /// the IP header the kernel delivers; IPv6: the source from `recvmsg`, the destination from
    /// `IPV6_PKTINFO`, the hop limit from `IPV6_HOPLIMIT`. A datagram that cannot be split is counted in
    /// `discardedCount` and counts toward `limit`, so a flood cannot keep the engine thread here.
    /// - Throws: `.system(call: "recvmsg", ...)` only when the first read fails with something other
    ///   than EAGAIN; a later failure ends the batch and returns what was read (it recurs next call).
    /// A `limit` below 1 reads one datagram.
    public func receive(limit: Int = 64) throws(VRRPSocketError) -> [ReceivedDatagram] {
        let limit = max(limit, 1)
        let family = self.family
        return try state.withLock { (state) throws(VRRPSocketError) -> [ReceivedDatagram] in
            var datagrams: [ReceivedDatagram] = []
            var reads = 0
            let fd = state.fd
            while reads < limit {
                let read = state.buffer.withUnsafeMutableBytes { buffer in
                    Result { () throws(VRRPSocketError) in try Self.readOne(fd, family: family, into: buffer) }
                }
                let outcome: ReadOutcome
                switch read {
                case .success(let value): outcome = value
                case .failure(let error):
                    if error.wouldBlock || !datagrams.isEmpty { return datagrams }
                    throw error
                }
                reads += 1
                switch outcome {
                case .datagram(let datagram): datagrams.append(datagram)
                case .discarded: state.discarded += 1
                }
            }
            return datagrams
        }
    }

    private enum ReadOutcome {
        case datagram(ReceivedDatagram)
        case discarded
    }

    /// One `recvmsg`, split into a datagram. `buffer` is the state's: control area, then payload area
    /// (the array's storage is at least 16-byte aligned, as `cmsghdr` needs).
    private static func readOne(
        _ fd: Int32, family: Family, into buffer: UnsafeMutableRawBufferPointer
    ) throws(VRRPSocketError) -> ReadOutcome {
        let control = UnsafeMutableRawBufferPointer(rebasing: buffer[..<ControlMessages.receiveCapacity])
        let payload = UnsafeMutableRawBufferPointer(rebasing: buffer[ControlMessages.receiveCapacity...])
        var name = sockaddr_storage()
        var iov = iovec(iov_base: payload.baseAddress, iov_len: payload.count)
        var header = msghdr()
        let count = try withUnsafeMutablePointer(to: &name) { (name) throws(VRRPSocketError) in
            try withUnsafeMutablePointer(to: &iov) { (iov) throws(VRRPSocketError) in
                header.msg_name = UnsafeMutableRawPointer(name)
                header.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                header.msg_iov = iov
                header.msg_iovlen = 1
                header.msg_control = family == .v6 ? control.baseAddress : nil
                header.msg_controllen = family == .v6 ? control.count : 0
                return try SystemCall.run("recvmsg") { recvmsg(fd, &header, Int32(MSG_DONTWAIT)) }
            }
        }
        guard header.msg_flags & Int32(MSG_TRUNC) == 0 else { return .discarded }
        let bytes = UnsafeRawBufferPointer(rebasing: payload[0..<count])
        switch family {
        case .v4:
            guard let ip = IPv4Header.parse(bytes), ip.protocol == VRRPCodec.ipProtocol else { return .discarded }
            return .datagram(ReceivedDatagram(source: ip.source, destination: ip.destination, ttl: ip.ttl,
                                              message: Array(ip.payload)))
        case .v6:
            let receipt = ControlMessages.parseIPv6(UnsafeRawBufferPointer(rebasing: control[0..<header.msg_controllen]))
            guard let source = SocketAddress.address(of: name, length: header.msg_namelen),
                  let destination = receipt.destination, let hopLimit = receipt.hopLimit else { return .discarded }
            return .datagram(ReceivedDatagram(source: source, destination: destination, ttl: hopLimit,
                                              message: Array(bytes)))
        }
    }
}

// MARK: - Opening

extension VRRPSocket {
    /// `if_nametoindex`, with "no such device" mapped to `.interfaceNotFound`.
    private static func interfaceIndex(of name: String) throws(VRRPSocketError) -> Int32 {
        guard !name.isEmpty, name.utf8.count < Int(IF_NAMESIZE), !name.utf8.contains(0) else {
            throw .interfaceNotFound(name)
        }
        let index = if_nametoindex(name)
        guard index == 0 else { return Int32(bitPattern: index) }
        let code = errno
        if code == ENODEV || code == ENXIO || code == 0 { throw .interfaceNotFound(name) }
        throw .system(call: "if_nametoindex", errno: code)
    }

    /// Every socket option the contract promises, in the order that makes a failure easiest to read.
    private static func configure(_ fd: Int32, family: Family, interface: String, index: Int32) throws(VRRPSocketError) {
        var device = Array(interface.utf8CString)
        try SystemCall.run("setsockopt(SO_BINDTODEVICE)") {
            setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, &device, socklen_t(device.count))
        }
        try SystemCall.setOption(fd, SOL_SOCKET, SO_RCVBUF, kernelReceiveBuffer, name: "SO_RCVBUF")
        switch family {
        case .v4: try configureIPv4(fd, index: index)
        case .v6: try configureIPv6(fd, index: index)
        }
    }

    private static func configureIPv4(_ fd: Int32, index: Int32) throws(VRRPSocketError) {
        let level = Int32(IPPROTO_IP)
        let ttl = Int32(VRRPCodec.requiredTTL)
        try SystemCall.setOption(fd, level, IP_TTL, ttl, name: "IP_TTL")
        try SystemCall.setOption(fd, level, IP_MULTICAST_TTL, ttl, name: "IP_MULTICAST_TTL")
        try SystemCall.setOption(fd, level, IP_MULTICAST_LOOP, Int32(0), name: "IP_MULTICAST_LOOP")
        // Network control precedence, as keepalived sends adverts: queued ahead of bulk traffic.
        try SystemCall.setOption(fd, level, IP_TOS, networkControlTrafficClass, name: "IP_TOS")
        // Without this Linux also delivers groups other sockets joined on the host.
        try SystemCall.setOption(fd, level, IP_MULTICAST_ALL, Int32(0), name: "IP_MULTICAST_ALL")
        var request = ip_mreqn()
        request.imr_ifindex = index
        try SystemCall.setOption(fd, level, IP_MULTICAST_IF, request, name: "IP_MULTICAST_IF")
        if case .v4(let group) = VRRPCodec.multicastGroupIPv4 { request.imr_multiaddr.s_addr = group.bigEndian }
        try SystemCall.setOption(fd, level, IP_ADD_MEMBERSHIP, request, name: "IP_ADD_MEMBERSHIP")
    }

    private static func configureIPv6(_ fd: Int32, index: Int32) throws(VRRPSocketError) {
        let level = Int32(IPPROTO_IPV6)
        let hops = Int32(VRRPCodec.requiredTTL)
        try SystemCall.setOption(fd, level, IPV6_UNICAST_HOPS, hops, name: "IPV6_UNICAST_HOPS")
        try SystemCall.setOption(fd, level, IPV6_MULTICAST_HOPS, hops, name: "IPV6_MULTICAST_HOPS")
        try SystemCall.setOption(fd, level, IPV6_MULTICAST_LOOP, Int32(0), name: "IPV6_MULTICAST_LOOP")
        try SystemCall.setOption(fd, level, IPV6_TCLASS, networkControlTrafficClass, name: "IPV6_TCLASS")
        try SystemCall.setOption(fd, level, IPV6_MULTICAST_ALL, Int32(0), name: "IPV6_MULTICAST_ALL")
        try SystemCall.setOption(fd, level, IPV6_MULTICAST_IF, index, name: "IPV6_MULTICAST_IF")
        var request = ipv6_mreq()
        withUnsafeMutableBytes(of: &request.ipv6mr_multiaddr) { $0.copyBytes(from: VRRPCodec.multicastGroupIPv6.bytes) }
        request.ipv6mr_interface = UInt32(bitPattern: index)
        try SystemCall.setOption(fd, level, IPV6_JOIN_GROUP, request, name: "IPV6_JOIN_GROUP")
        try SystemCall.setOption(fd, level, IPV6_RECVHOPLIMIT, Int32(1), name: "IPV6_RECVHOPLIMIT")
        try SystemCall.setOption(fd, level, IPV6_RECVPKTINFO, Int32(1), name: "IPV6_RECVPKTINFO")
    }

    /// IPTOS_PREC_INTERNETCONTROL (DSCP CS6).
    static let networkControlTrafficClass: Int32 = 0xC0
}
