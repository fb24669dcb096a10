#if canImport(Glibc)
import Glibc
#endif
import HACore

/// The announcer's socket calls through the package's one funnel (`Syscall.retryingOnEINTR`: EINTR
/// is retried), with a failure as `NetlinkError`. (The VRRP socket's `SystemCall` does the same for
/// its own error type.)
enum AnnouncerSystemCall {
    /// Runs `body` until it returns non-negative or fails with something other than EINTR.
    @discardableResult
    static func run(_ op: String, _ body: () -> Int) throws(NetlinkError) -> Int {
        do throws(SystemCallError) {
            return try Syscall.retryingOnEINTR(op, body)
        } catch {
            throw .system(op, error.errno)
        }
    }

    /// Opens a socket; failure is `NetlinkError.socket` with errno.
    static func socket(_ domain: Int32, _ type: Int32, _ proto: Int32) throws(NetlinkError) -> Int32 {
        let fd = Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), proto)
        guard fd >= 0 else {
            let code = errno
            throw .socket(code: code, message: NetlinkError.systemMessage(code))
        }
        return fd
    }

    /// Sets an integer-sized (or any trivially laid out) socket option; failure is `.socket`.
    static func setOption<T: BitwiseCopyable>(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: T, _ what: String)
        throws(NetlinkError)
    {
        var value = value
        let result = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<T>.size))
        guard result == 0 else {
            let code = errno
            throw .socket(code: code, message: "\(what): \(NetlinkError.systemMessage(code))")
        }
    }
}
