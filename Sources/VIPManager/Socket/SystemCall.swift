#if canImport(Glibc)
import Glibc
#endif
import HACore

/// The VRRP socket's calls through the package's one funnel (`Syscall.retryingOnEINTR`: EINTR is
/// retried), with a failure as `VRRPSocketError.system` carrying the errno read right after the call.
enum SystemCall {
    /// Runs `body` until it returns something other than -1 with EINTR.
    @discardableResult
    static func run<Result: BinaryInteger>(
        _ name: @autoclosure () -> String, _ body: () -> Result
    ) throws(VRRPSocketError) -> Result {
        do throws(SystemCallError) {
            return try Syscall.retryingOnEINTR(name(), body)
        } catch {
            throw .system(call: error.call, errno: error.errno)
        }
    }

    /// `setsockopt` with a plain value (an `Int32`, `ip_mreqn`, `ipv6_mreq` ...).
    static func setOption<Value>(
        _ fd: Int32, _ level: Int32, _ option: Int32, _ value: Value, name: @autoclosure () -> String
    ) throws(VRRPSocketError) {
        var value = value
        _ = try withUnsafeBytes(of: &value) { (raw) throws(VRRPSocketError) in
            try run("setsockopt(\(name()))") { setsockopt(fd, level, option, raw.baseAddress, socklen_t(raw.count)) }
        }
    }

    /// `getsockopt` of an `Int32` option; the tests read back what `VRRPSocket` configured.
    static func intOption(_ fd: Int32, _ level: Int32, _ option: Int32) throws(VRRPSocketError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        try run("getsockopt") { getsockopt(fd, level, option, &value, &length) }
        return value
    }
}
