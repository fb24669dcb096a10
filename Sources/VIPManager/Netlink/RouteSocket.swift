#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import HACore

/// One connected libnl `NETLINK_ROUTE` socket.
///
/// Not thread-safe (libnl sockets carry sequence numbers and a receive buffer): `AddressManager`
/// keeps it behind a mutex. The socket belongs to the network namespace of the thread that
/// created it, whatever thread uses it later. It joins no multicast group, so nothing arrives
/// unasked and its receive buffer cannot fill between calls.
struct RouteSocket: ~Copyable {
    let handle: OpaquePointer

    init() throws(NetlinkError) {
        guard let handle = nl_socket_alloc() else {
            throw .socket(code: NLE_NOMEM, message: NetlinkError.libnlMessage(NLE_NOMEM))
        }
        let result = nl_connect(handle, NETLINK_ROUTE)
        guard result >= 0 else {
            nl_socket_free(handle)
            throw .socket(code: abs(result), message: NetlinkError.libnlMessage(result))
        }
        self.handle = handle
    }

    deinit {
        nl_socket_free(handle)
    }

    /// Index, flags and hardware address of `name`, fresh from the kernel (`RTM_GETLINK`).
    func link(_ name: String) throws(NetlinkError) -> LinkInfo {
        // The kernel would reject these with EINVAL; for the caller they are simply not there.
        guard !name.isEmpty, name.utf8.count < Int(IF_NAMESIZE), !name.utf8.contains(0) else {
            throw .interfaceNotFound(name)
        }
        var link: OpaquePointer?
        let result = rtnl_link_get_kernel(handle, 0, name, &link)
        // libnl turns ENODEV into NLE_OBJ_NOTFOUND; NLE_NODEV is accepted too for other versions.
        if result == -NLE_OBJ_NOTFOUND || result == -NLE_NODEV {
            throw .interfaceNotFound(name)
        }
        guard result >= 0, let link else {
            throw .libnl("get link \(name)", result)
        }
        defer { rtnl_link_put(link) }
        var carrierChanges: UInt32 = 0
        let hasCarrierChanges = rtnl_link_get_carrier_changes(link, &carrierChanges) >= 0
        return LinkInfo(
            index: Int32(rtnl_link_get_ifindex(link)),
            flags: UInt32(rtnl_link_get_flags(link)),
            hardwareAddress: rtnl_link_get_addr(link).map(Self.bytes(of:)) ?? [],
            carrierChanges: hasCarrierChanges ? carrierChanges : nil
        )
    }

    /// Every address the kernel holds on `index`, from one fresh `RTM_GETADDR` dump.
    func addresses(onIndex index: Int32, interface: String) throws(NetlinkError) -> [IPNetwork] {
        var cache: OpaquePointer?
        let result = rtnl_addr_alloc_cache(handle, &cache)
        guard result >= 0, let cache else {
            throw .libnl("list addresses on \(interface)", result)
        }
        defer { nl_cache_free(cache) }
        var networks: [IPNetwork] = []
        var object = nl_cache_get_first(cache)
        while let address = object {
            object = nl_cache_get_next(address)
            guard rtnl_addr_get_ifindex(address) == index,
                  let local = rtnl_addr_get_local(address),
                  let ip = IPAddress(bytes: Self.bytes(of: local)),
                  let network = IPNetwork(address: ip, prefixLength: Int(rtnl_addr_get_prefixlen(address)))
            else { continue }
            networks.append(network)
        }
        return networks
    }

    /// Sends `RTM_NEWADDR` / `RTM_DELADDR` built from `request` and waits for the kernel's ack.
    /// Returns libnl's (negative) error code or 0.
    func add(_ request: borrowing AddressRequest) -> Int32 {
        rtnl_addr_add(handle, request.handle, 0)
    }

    func delete(_ request: borrowing AddressRequest) -> Int32 {
        rtnl_addr_delete(handle, request.handle, 0)
    }

    static func bytes(of address: OpaquePointer) -> [UInt8] {
        guard let raw = nl_addr_get_binary_addr(address) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: Int(nl_addr_get_len(address))))
    }
}

/// What `RTM_GETLINK` says about one interface.
struct LinkInfo: Sendable, Equatable {
    var index: Int32
    /// `IFF_*` flags as the kernel reports them (`IFF_RUNNING` reflects carrier and oper state).
    var flags: UInt32
    /// Empty for interfaces without one (tun, wireguard).
    var hardwareAddress: [UInt8]
    /// `IFLA_CARRIER_CHANGES` (carrier downs plus ups since creation), nil when not reported.
    var carrierChanges: UInt32? = nil

    var isUp: Bool {
        flags & UInt32(IFF_UP) != 0 && flags & UInt32(IFF_RUNNING) != 0
    }
}

/// An owned libnl `rtnl_addr` describing one address on one interface.
struct AddressRequest: ~Copyable {
    let handle: OpaquePointer

    init(_ network: IPNetwork, index: Int32) throws(NetlinkError) {
        guard let handle = rtnl_addr_alloc() else {
            throw .libnl("allocate address", -NLE_NOMEM)
        }
        let family = network.address.isIPv4 ? AF_INET : AF_INET6
        rtnl_addr_set_ifindex(handle, index)
        rtnl_addr_set_family(handle, family)
        let local = network.address.bytes.withUnsafeBytes { nl_addr_build(family, $0.baseAddress, $0.count) }
        guard let local else {
            rtnl_addr_put(handle)
            throw .libnl("allocate address", -NLE_NOMEM)
        }
        defer { nl_addr_put(local) }
        // rtnl_addr_set_local takes the prefix length from the nl_addr.
        nl_addr_set_prefixlen(local, Int32(network.prefixLength))
        let result = rtnl_addr_set_local(handle, local)
        guard result >= 0 else {
            rtnl_addr_put(handle)
            throw .libnl("set address \(network)", result)
        }
        self.handle = handle
    }

    deinit {
        rtnl_addr_put(handle)
    }

    func setLabel(_ label: String) throws(NetlinkError) {
        let result = rtnl_addr_set_label(handle, label)
        guard result >= 0 else { throw .libnl("set label \(label)", result) }
    }

    func setFlags(_ flags: UInt32) {
        rtnl_addr_set_flags(handle, flags)
    }
}
