#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call that failed: which call, and the errno it left (read right after the call).
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was called, e.g. `read(/etc/hactl/cluster.yaml)`.
    public var call: String
    public var errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// The system's text for `errno`, e.g. `No such file or directory`.
    public var message: String { String(cString: strerror(errno)) }

    public var description: String { "\(call): \(message)" }
}

/// The one funnel for system calls in hactl: a call that fails with EINTR is retried, any other
/// failure becomes a typed `SystemCallError` with the errno read right after the call. Use it for
/// every `read`, `write`, `poll`, `waitpid`, `sendto`, ... instead of a hand-written EINTR loop.
///
///     let count = try Syscall.retryingOnEINTR("read(\(path))") { read(fd, buffer, size) }
///
/// Calls that report errors through their return value instead of errno (`posix_spawn`,
/// `pthread_*`) do not belong here.
public enum Syscall {
    /// Runs `body` until it returns something other than -1 (or any negative value) with EINTR; a
    /// negative result with another errno throws. The successful result is returned as is.
    @discardableResult
    public static func retryingOnEINTR<Result: BinaryInteger>(
        _ call: @autoclosure () -> String, _ body: () -> Result
    ) throws(SystemCallError) -> Result {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code != EINTR { throw SystemCallError(call: call(), errno: code) }
        }
    }

    /// Reads `fd` to end of file (at most `limit` bytes; past it reading stops and the result is
    /// what was read so far plus `truncated == true`).
    public static func readToEnd(_ fd: Int32, call: @autoclosure () -> String, limit: Int = .max)
        throws(SystemCallError) -> (bytes: [UInt8], truncated: Bool)
    {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while data.count < limit {
            let want = min(chunk.count, limit - data.count)
            let count = try retryingOnEINTR(call()) {
                chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, want) }
            }
            if count == 0 { return (data, false) }
            data.append(contentsOf: chunk[..<count])
        }
        // At the limit: one more byte tells whether the file goes on.
        var probe: UInt8 = 0
        let more = try retryingOnEINTR(call()) { systemRead(fd, &probe, 1) }
        return (data, more > 0)
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(fd, buffer, count)
    #else
    Darwin.read(fd, buffer, count)
    #endif
}
