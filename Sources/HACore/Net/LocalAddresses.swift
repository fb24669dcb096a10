#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The addresses configured on this host's interfaces (in the caller's network namespace).
public enum LocalAddresses {
    /// Every IPv4 and IPv6 address on every interface, loopback and link-local included,
    /// sorted and without duplicates.
    ///
    /// A synchronous `getifaddrs(3)` call: cheap, callable from any thread. Returns `[]` if the
    /// kernel refuses (which only happens when out of memory).
    public static func current() -> [IPAddress] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var found = Set<IPAddress>()
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            if let address = entry.pointee.ifa_addr.flatMap(address(of:)) {
                found.insert(address)
            }
        }
        return found.sorted()
    }

    private static func address(of sockaddr: UnsafeMutablePointer<sockaddr>) -> IPAddress? {
        switch Int32(sockaddr.pointee.sa_family) {
        case AF_INET:
            return sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                .v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr))
            }
        case AF_INET6:
            return sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                var raw = $0.pointee.sin6_addr
                return IPAddress(bytes: withUnsafeBytes(of: &raw) { Array($0) })
            }
        default:
            return nil
        }
    }
}
