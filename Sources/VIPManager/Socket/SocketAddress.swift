#if canImport(Glibc)
import Glibc
#endif
import HACore

/// An `IPAddress` as a `sockaddr_in` / `sockaddr_in6` for `sendmsg`, and back from `recvmsg`.
struct SocketAddress {
    private(set) var storage = sockaddr_storage()
    private(set) var length: socklen_t

    /// `scopeID` is the interface index an IPv6 link-scoped address needs; ignored for IPv4.
    init(_ address: IPAddress, scopeID: UInt32 = 0) {
        switch address {
        case .v4(let value):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_addr.s_addr = value.bigEndian
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin, as: sockaddr_in.self) }
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: address.bytes) }
            sin6.sin6_scope_id = scopeID
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin6, as: sockaddr_in6.self) }
        }
    }

    /// The address in a `recvmsg` name; nil for any other family or a short name.
    static func address(of storage: sockaddr_storage, length: socklen_t) -> IPAddress? {
        withUnsafeBytes(of: storage) { raw -> IPAddress? in
            switch Int32(storage.ss_family) {
            case AF_INET where Int(length) >= MemoryLayout<sockaddr_in>.size:
                let sin = raw.loadUnaligned(as: sockaddr_in.self)
                return .v4(UInt32(bigEndian: sin.sin_addr.s_addr))
            case AF_INET6 where Int(length) >= MemoryLayout<sockaddr_in6>.size:
                let sin6 = raw.loadUnaligned(as: sockaddr_in6.self)
                return IPAddress(bytes: withUnsafeBytes(of: sin6.sin6_addr) { Array($0) })
            default:
                return nil
            }
        }
    }

    /// True for IPv6 addresses that mean nothing without an interface: link-local unicast (fe80::/10)
    /// and interface- or link-local multicast (ffx1::/16, ffx2::/16, which includes ff02::12).
    static func needsScope(_ address: IPAddress) -> Bool {
        guard case .v6(let value) = address else { return false }
        let top = UInt16(truncatingIfNeeded: value >> 112)
        if top & 0xFFC0 == 0xFE80 { return true }
        return top & 0xFF00 == 0xFF00 && (top & 0x000F == 1 || top & 0x000F == 2)
    }

    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }
}
