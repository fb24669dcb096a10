#if canImport(Glibc)
import Glibc
#endif

/// Process-wide protections the agent applies at start.
public enum ProcessHardening {
    /// `prctl(2)` is variadic, which Swift cannot call; on Linux (x86_64, arm64) integer arguments
    /// are passed the same way to a variadic and a fixed-argument function, so it is called through
    /// a fixed-argument pointer, resolved once.
    private typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32

    private static let prctl: Prctl? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return nil }
        return unsafeBitCast(symbol, to: Prctl.self)
        #else
        return nil
        #endif
    }()

    static let setDumpable: Int32 = 4   // PR_SET_DUMPABLE
    static let getDumpable: Int32 = 3   // PR_GET_DUMPABLE

    /// Marks the process non-dumpable (`PR_SET_DUMPABLE 0`): no core dump, and its /proc/PID files
    /// (mem, environ, maps) become root-owned, so a user with the agent's uid cannot ptrace it or
    /// read the cluster secret out of its memory. Returns the errno on failure, nil on success.
    @discardableResult
    public static func disableDumping() -> Int32? {
        guard let prctl else { return ENOSYS }
        return prctl(setDumpable, 0, 0, 0, 0) == 0 ? nil : errno
    }

    /// `PR_GET_DUMPABLE`: 0 after `disableDumping()`, 1 for a normal process; nil if unavailable.
    public static var isDumpable: Bool? {
        guard let prctl else { return nil }
        let value = prctl(getDumpable, 0, 0, 0, 0)
        return value < 0 ? nil : value != 0
    }
}
