#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import HACore
import Synchronization

/// Adds, removes and lists addresses and reads link state through one netlink route socket.
///
/// Effects only: which address belongs where is the caller's decision.
///
/// Threads: every call is synchronous and blocks its thread for one or two netlink round trips
/// (tens of microseconds; longer only while another process holds the kernel's RTNL lock), so
/// call it from a dedicated thread (the VRRP engine's), never from the cooperative pool. Calls are
/// serialized by an internal mutex, so the instance may be shared between threads.
///
/// Namespaces: the socket is opened in `init` and stays in the network namespace of the thread
/// that called `init`, whatever thread calls later.
///
/// Freshness: nothing is cached; every call asks the kernel, so changes made by others
/// (`ip addr del`, a link going down) are seen at once.
public final class AddressManager: Sendable {
    private let route: Mutex<RouteSocket>

    /// Opens and connects the netlink route socket.
    /// - Throws: `NetlinkError.socket` with libnl's code if the socket cannot be opened.
    public init() throws(NetlinkError) {
        let socket = try RouteSocket()
        route = Mutex(socket)
    }

    /// The kernel's index of `name`.
    /// - Throws: `interfaceNotFound` if there is no such interface.
    public func interfaceIndex(_ name: String) throws(NetlinkError) -> Int32 {
        try link(name).index
    }

    /// The 6-byte MAC address of `interface`.
    /// - Throws: `interfaceNotFound`, or `operation` if the interface has no Ethernet-sized address.
    public func hardwareAddress(_ interface: String) throws(NetlinkError) -> [UInt8] {
        let mac = try link(interface).hardwareAddress
        guard mac.count == 6 else {
            throw .operation(op: "hardware address of \(interface)", code: NLE_NOADDR,
                             message: "interface has no 6-byte hardware address (has \(mac.count) bytes)")
        }
        return mac
    }

    /// Adds `network` (address and prefix length) to `interface`.
    ///
    /// IPv4 addresses carry `label` (`ip addr` shows it; the kernel allows at most 15 bytes, and
    /// the caller builds and truncates `<iface>:<vipname>`); IPv6 ignores the label and is added
    /// with `IFA_F_NODAD`, usable at once instead of tentative for a second of DAD.
    /// An address already present (same address and prefix length) is success, label untouched.
    /// - Throws: `interfaceNotFound`, or `operation` with libnl's code (for example
    ///   `NLE_RANGE` for a label longer than 15 bytes, `NLE_PERM` without CAP_NET_ADMIN).
    public func add(_ network: IPNetwork, interface: String, label: String?) throws(NetlinkError) {
        try withRoute { (route) throws(NetlinkError) in
            let request = try AddressRequest(network, index: route.link(interface).index)
            if network.address.isIPv4 {
                if let label { try request.setLabel(label) }
            } else {
                request.setFlags(UInt32(IFA_F_NODAD))
            }
            let result = route.add(request)
            guard result >= 0 || result == -NLE_EXIST else {
                throw .libnl("add \(network) to \(interface)", result)
            }
        }
    }

    /// Removes `network` (address and prefix length must match) from `interface`, whatever its label.
    /// Removing an address that is not there is success.
    ///
    /// Removing a *primary* IPv4 address removes its secondaries too unless the interface has
    /// `promote_secondaries` set; VIPs added next to the node's own address are secondaries.
    /// - Throws: `interfaceNotFound`, or `operation` with libnl's code.
    public func remove(_ network: IPNetwork, interface: String) throws(NetlinkError) {
        try withRoute { (route) throws(NetlinkError) in
            let request = try AddressRequest(network, index: route.link(interface).index)
            let result = route.delete(request)
            // libnl reports the kernel's EADDRNOTAVAIL as NLE_NOADDR.
            guard result >= 0 || result == -NLE_NOADDR else {
                throw .libnl("remove \(network) from \(interface)", result)
            }
        }
    }

    /// The IPv4 and IPv6 addresses on `interface` now, in the kernel's order (one fresh dump).
    /// - Throws: `interfaceNotFound`, or `operation` with libnl's code.
    public func addresses(on interface: String) throws(NetlinkError) -> [IPNetwork] {
        try withRoute { (route) throws(NetlinkError) in
            try route.addresses(onIndex: route.link(interface).index, interface: interface)
        }
    }

    /// True when `interface` is administratively up and running (`IFF_UP` and `IFF_RUNNING`:
    /// carrier present and operationally up); false means the VIP's link is in fault.
    /// - Throws: `interfaceNotFound`, or `operation` with libnl's code.
    public func isUp(_ interface: String) throws(NetlinkError) -> Bool {
        try link(interface).isUp
    }

    /// A fresh `RTM_GETLINK` reading of `interface` as a link event (the engine's backstop poll).
    /// - Throws: `interfaceNotFound`, or `operation` with libnl's code.
    func linkEvent(_ interface: String) throws(NetlinkError) -> LinkEvent {
        let info = try link(interface)
        return LinkEvent(kind: .new, index: info.index, name: interface, flags: info.flags, carrierChanges: info.carrierChanges)
    }

    /// Index, flags and MAC of `interface` in one round trip (the announcer's per-send lookup).
    func link(_ interface: String) throws(NetlinkError) -> LinkInfo {
        try withRoute { (route) throws(NetlinkError) in try route.link(interface) }
    }

    private func withRoute<T: Sendable>(
        _ body: (borrowing RouteSocket) throws(NetlinkError) -> T
    ) throws(NetlinkError) -> T {
        try route.withLock { (route) throws(NetlinkError) -> T in try body(route) }
    }
}
