/// The clock every hactl driver takes by injection: monotonic, nanosecond instants, `Swift.Duration`.
///
/// Production code uses ``SystemClock``; unit tests use ``ManualClock`` and advance it by hand, so
/// schedulers, timeouts and state machines are tested without sleeping. `sleep(until:tolerance:)`
/// must throw `CancellationError` promptly when the sleeping task is cancelled.
public protocol HAClock: Clock, Sendable where Instant == MonotonicInstant, Duration == Swift.Duration {}
