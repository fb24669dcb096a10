#if canImport(Glibc)
import Glibc
#endif
import HACore

/// Ancillary data (`cmsghdr` chains) for `sendmsg` / `recvmsg`, laid out by hand: the `CMSG_*` macros
/// are not imported into Swift, and glibc hides `struct in6_pktinfo` behind `_GNU_SOURCE`, so
/// `IPV6_PKTINFO` is built and read as its 20 bytes (address, then the interface index).
enum ControlMessages {
    /// `sizeof(struct cmsghdr)`, already a multiple of the alignment on LP64.
    static let headerLength = MemoryLayout<cmsghdr>.size
    static let alignment = MemoryLayout<Int>.size

    /// Capacity for what an IPv6 VRRP socket receives: `IPV6_PKTINFO` and `IPV6_HOPLIMIT`, with room
    /// to spare so an unexpected extra message does not truncate them.
    static let receiveCapacity = 256

    /// `CMSG_ALIGN`.
    static func aligned(_ length: Int) -> Int {
        (length + alignment - 1) & ~(alignment - 1)
    }

    /// One control message with `CMSG_SPACE(data.count)` bytes and `cmsg_len = CMSG_LEN(data.count)`.
    static func message(level: Int32, type: Int32, data: [UInt8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: aligned(headerLength) + aligned(data.count))
        var header = cmsghdr()
        header.cmsg_len = headerLength + data.count
        header.cmsg_level = level
        header.cmsg_type = type
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: header, as: cmsghdr.self)
            raw.baseAddress!.advanced(by: aligned(headerLength)).copyMemory(from: data, byteCount: data.count)
        }
        return bytes
    }

    /// `IP_PKTINFO` for `sendmsg`: leave through `interfaceIndex` with `source` as source address.
    static func ipv4PacketInfo(source: IPAddress, interfaceIndex: Int32) -> [UInt8] {
        var info = in_pktinfo()
        info.ipi_ifindex = interfaceIndex
        if case .v4(let value) = source { info.ipi_spec_dst.s_addr = value.bigEndian }
        return message(level: Int32(IPPROTO_IP), type: Int32(IP_PKTINFO),
                       data: withUnsafeBytes(of: info) { Array($0) })
    }

    /// `IPV6_PKTINFO` for `sendmsg`: leave through `interfaceIndex` with `source` as source address.
    static func ipv6PacketInfo(source: IPAddress, interfaceIndex: Int32) -> [UInt8] {
        message(level: Int32(IPPROTO_IPV6), type: Int32(IPV6_PKTINFO),
                data: source.bytes + withUnsafeBytes(of: UInt32(bitPattern: interfaceIndex)) { Array($0) })
    }

    /// What an IPv6 VRRP receiver needs from `recvmsg`'s control data.
    struct IPv6Receipt {
        var destination: IPAddress?
        var hopLimit: Int?
    }

    /// Reads `IPV6_PKTINFO` (destination) and `IPV6_HOPLIMIT` out of `control`, skipping anything else.
    static func parseIPv6(_ control: UnsafeRawBufferPointer) -> IPv6Receipt {
        var receipt = IPv6Receipt()
        var offset = 0
        while offset + headerLength <= control.count {
            let header = control.loadUnaligned(fromByteOffset: offset, as: cmsghdr.self)
            let length = Int(header.cmsg_len)
            guard length >= headerLength, offset + length <= control.count else { break }
            let data = UnsafeRawBufferPointer(rebasing: control[(offset + aligned(headerLength))..<(offset + length)])
            if header.cmsg_level == Int32(IPPROTO_IPV6) {
                if header.cmsg_type == Int32(IPV6_PKTINFO), data.count >= 20 {
                    receipt.destination = IPAddress(bytes: data[0..<16])
                } else if header.cmsg_type == Int32(IPV6_HOPLIMIT), data.count >= 4 {
                    receipt.hopLimit = Int(data.loadUnaligned(as: Int32.self))
                }
            }
            offset += aligned(length)
        }
        return receipt
    }
}
