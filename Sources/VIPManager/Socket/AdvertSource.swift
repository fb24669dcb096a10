#if canImport(Glibc)
import Glibc
#endif
import HACore

/// The source address of a VIP's adverts, looked up on the VIP's interface.
///
/// - IPv6 (RFC 9568 §5.1.2.1): the interface's **link-local** address, never the controller's
///   address (which may be IPv4, or a global IPv6 address). A tentative link-local (duplicate
///   address detection still running) cannot be used yet; the VIP waits in Fault until DAD is done.
/// - IPv4 (§5.1.1.1): the controller's address when it is IPv4, else the interface's first IPv4
///   address (an IPv4 VIP on IPv6 controllers).
///
/// When there is none, the engine puts the VIP in Fault with `reason` (never a trap), and looks
/// again at every evaluation (100 ms): the VIP leaves Fault as soon as an address is usable.
/// The lookup runs in the calling thread's network namespace (`/proc/thread-self/net/if_inet6`).
public enum AdvertSource: Sendable, Equatable {
    case ready(IPAddress)
    case unavailable(reason: String)

    /// The address when ready.
    public var address: IPAddress? {
        if case .ready(let address) = self { return address }
        return nil
    }

    /// Looks the source up for a VIP of `family` on `interface` (see the type's rules).
    public static func resolve(family: VRRPReceivePolicy.Family, interface: String, controllerAddress: IPAddress) -> AdvertSource {
        switch family {
        case .v4:
            if controllerAddress.isIPv4 { return .ready(controllerAddress) }
            guard let address = ipv4Addresses(on: interface).first else {
                return .unavailable(reason: "no IPv4 address on \(interface) to send VRRP adverts from")
            }
            return .ready(address)
        case .v6:
            guard let table = readInterfaceTable() else {
                return .unavailable(reason: "no IPv6 in this network namespace (no /proc/net/if_inet6): cannot send IPv6 VRRP adverts")
            }
            return linkLocal(in: table, interface: interface)
        }
    }

    /// Address flags of `/proc/net/if_inet6` (linux/if_addr.h).
    static let flagDADFailed: UInt32 = 0x08
    static let flagTentative: UInt32 = 0x40

    /// Picks the link-local address of `interface` from the text of `/proc/net/if_inet6` (one line per
    /// address: 32 hex digits, ifindex, prefix length, scope, flags, all hex, then the name). Pure.
    /// Several usable link-locals: the lowest (stable across restarts). Malformed lines are skipped.
    static func linkLocal(in table: String, interface: String) -> AdvertSource {
        var usable: [IPAddress] = []
        var tentative: IPAddress?
        var failed: IPAddress?
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 6, fields[5] == interface, fields[0].utf8.count == 32,
                  let value = UInt128(fields[0], radix: 16), let flags = UInt32(fields[4], radix: 16) else { continue }
            let address = IPAddress.v6(value)
            guard address.isIPv6LinkLocal else { continue }
            if flags & flagDADFailed != 0 {
                failed = address
            } else if flags & flagTentative != 0 {
                tentative = address
            } else {
                usable.append(address)
            }
        }
        if let best = usable.min() { return .ready(best) }
        if let tentative {
            return .unavailable(reason: "link-local address \(tentative) on \(interface) is tentative (duplicate address detection running)")
        }
        if let failed {
            return .unavailable(reason: "link-local address \(failed) on \(interface) failed duplicate address detection")
        }
        return .unavailable(reason: "no IPv6 link-local address on \(interface) (IPv6 disabled there, or the link is down): IPv6 VRRP adverts must come from one (RFC 9568)")
    }

    /// `/proc/thread-self/net/if_inet6` (this thread's namespace), else `/proc/self/net/if_inet6`;
    /// nil when neither exists (no IPv6). At most 1 MiB is read.
    private static func readInterfaceTable() -> String? {
        for path in ["/proc/thread-self/net/if_inet6", "/proc/self/net/if_inet6"] {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            let bytes = (try? Syscall.readToEnd(fd, call: "read(\(path))", limit: 1 << 20))?.bytes ?? []
            return String(decoding: bytes, as: UTF8.self)
        }
        return nil
    }

    /// The IPv4 addresses of `interface` (`getifaddrs`, this thread's namespace), in kernel order.
    private static func ipv4Addresses(on interface: String) -> [IPAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var result: [IPAddress] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let name = entry.pointee.ifa_name, String(cString: name) == interface,
                  let socketAddress = entry.pointee.ifa_addr, Int32(socketAddress.pointee.sa_family) == AF_INET else { continue }
            let value = UnsafeRawPointer(socketAddress).loadUnaligned(as: sockaddr_in.self).sin_addr.s_addr
            result.append(.v4(UInt32(bigEndian: value)))
        }
        return result
    }
}

extension VIPInstance {
    /// Takes a fresh lookup; returns true when it differs from the last one. A ready address also
    /// becomes the state machine's primary address, which breaks priority ties (RFC 9568 §6.4.3:
    /// for IPv6 the link-local addresses are compared).
    mutating func adoptAdvertSource(_ fresh: AdvertSource) -> Bool {
        guard fresh != advertSource else { return false }
        advertSource = fresh
        if let address = fresh.address { machine.parameters.primaryAddress = address }
        return true
    }
}
