#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import HACore

/// A non-blocking `NETLINK_ROUTE` socket joined to `RTNLGRP_LINK`: the kernel sends it an
/// `RTM_NEWLINK` / `RTM_DELLINK` for every link change in the namespace it was opened in (carrier,
/// operational state, admin state, creation, deletion), the moment it happens. The engine polls its
/// descriptor next to the VRRP sockets (keepalived does the same).
///
/// Not thread-safe: one owner (the engine thread). Events can be lost when the receive queue
/// overflows (`ENOBUFS`): `read()` then reports `overrun` and the caller re-reads the links.
final class LinkMonitor {
    let fileDescriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 32_768)

    /// `RTMGRP_LINK`: the legacy group bit of `RTNLGRP_LINK` (group 1).
    static let linkGroup: UInt32 = 1
    static let receiveBuffer: Int32 = 1 << 20

    init() throws(NetlinkError) {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                        NETLINK_ROUTE)
        guard fd >= 0 else { throw .system("socket(AF_NETLINK)", errno) }
        var size = Self.receiveBuffer
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        address.nl_groups = Self.linkGroup
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw .system("bind(RTMGRP_LINK)", code)
        }
        fileDescriptor = fd
    }

    deinit { close(fileDescriptor) }

    /// Everything queued now (at most `limit` datagrams), in the kernel's order. `overrun` means the
    /// kernel dropped events (`ENOBUFS`): re-read the links.
    func read(limit: Int = 64) -> (events: [LinkEvent], overrun: Bool) {
        var events: [LinkEvent] = []
        var overrun = false
        for _ in 0..<limit {
            let count: Int
            do throws(SystemCallError) {
                count = try Syscall.retryingOnEINTR("recv(RTMGRP_LINK)") {
                    buffer.withUnsafeMutableBytes { recv(fileDescriptor, $0.baseAddress, $0.count, 0) }
                }
            } catch where error.errno == ENOBUFS {
                overrun = true
                continue
            } catch {
                break   // EAGAIN: drained (or an error we cannot act on)
            }
            guard count > 0 else { break }
            events += LinkMessageParser.parse(buffer.prefix(count))
        }
        return (events, overrun)
    }
}
