#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The real clock: `CLOCK_MONOTONIC` (never jumps with wall-clock changes).
///
/// `sleep(until:)` sleeps through the Swift concurrency runtime (it never blocks a thread) and throws
/// `CancellationError` as soon as the task is cancelled, also for a deadline already in the past.
public struct SystemClock: HAClock {
    public init() {}

    public var now: MonotonicInstant {
        var ts = timespec()
        // CLOCK_MONOTONIC cannot fail for a valid pointer, so the result is not checked.
        _ = clock_gettime(CLOCK_MONOTONIC, &ts)
        return MonotonicInstant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    public var minimumResolution: Duration { .nanoseconds(1) }

    public func sleep(until deadline: MonotonicInstant, tolerance: Duration? = nil) async throws {
        let delay = now.duration(to: deadline)
        guard delay > .zero else {
            try Task.checkCancellation()
            return
        }
        // A relative sleep, so the runtime clock's own origin does not matter.
        try await SuspendingClock().sleep(for: delay, tolerance: tolerance)
    }
}
