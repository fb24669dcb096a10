#if canImport(Glibc)
import Glibc
#endif
import CNetlink

/// An AF_PACKET datagram socket bound to one interface and one EtherType, opened in the calling
/// thread's namespace: it sees frames on the wire, before any IP processing.
final class PacketCapture {
    struct Frame {
        /// The frame's payload after the Ethernet header.
        var payload: [UInt8]
        /// `PACKET_BROADCAST`, `PACKET_MULTICAST`, `PACKET_HOST`...
        var packetType: UInt8
        /// The Ethernet source address.
        var source: [UInt8]
    }

    static let arp: UInt16 = 0x0806
    static let ipv6: UInt16 = 0x86DD

    private let fd: Int32

    init(interface: String, etherType: UInt16) throws {
        let index = if_nametoindex(interface)
        guard index != 0 else { throw PlumbingTestError("no interface \(interface) here") }
        fd = socket(AF_PACKET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(etherType.bigEndian))
        guard fd >= 0 else { throw PlumbingTestError("AF_PACKET socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_ll()
        address.sll_family = UInt16(AF_PACKET)
        address.sll_protocol = etherType.bigEndian
        address.sll_ifindex = Int32(index)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
            }
        }
        guard bound == 0 else {
            close(fd)
            throw PlumbingTestError("bind AF_PACKET to \(interface): \(String(cString: strerror(errno)))")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// The first frame matching `predicate` within `timeout`, or nil.
    func first(within timeout: Duration = .seconds(3), where predicate: (Frame) -> Bool) -> Frame? {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 2048)
        while ContinuousClock.now < deadline {
            var from = sockaddr_ll()
            var length = socklen_t(MemoryLayout<sockaddr_ll>.size)
            let count = withUnsafeMutablePointer(to: &from) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fd, &buffer, buffer.count, 0, $0, &length)
                }
            }
            guard count > 0 else { continue }   // EAGAIN at each 200 ms tick, EINTR
            let source = withUnsafeBytes(of: from.sll_addr) { Array($0.prefix(Int(from.sll_halen))) }
            let frame = Frame(payload: Array(buffer[0..<count]), packetType: from.sll_pkttype, source: source)
            if predicate(frame) { return frame }
        }
        return nil
    }
}
