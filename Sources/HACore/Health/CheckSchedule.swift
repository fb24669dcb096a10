/// When a periodic check runs and when a run is given up (pure; randomness is injected).
///
/// Runs are spaced `interval * (1 ± jitter)` apart, measured from the start of the previous run, so
/// checks configured with the same interval drift apart instead of probing in lockstep. A run that is
/// still going at ``deadline(for:)`` is abandoned and recorded as a timeout by ``CheckRunner``.
public struct CheckSchedule: Sendable, Equatable {
    public let interval: Duration
    public let timeout: Duration
    /// The jitter as a fraction of `interval`, in `0..<1`.
    public let jitter: Double

    public init(interval: Duration, timeout: Duration, jitter: Double = 0.1) {
        precondition(interval > .zero, "interval must be positive")
        precondition(timeout > .zero, "timeout must be positive")
        precondition(jitter >= 0 && jitter < 1, "jitter must be in 0..<1")
        self.interval = interval
        self.timeout = timeout
        self.jitter = jitter
    }

    /// The first run after a runner starts at `now`: somewhere in `now ... now + jitter * interval`,
    /// so that checks started together do not all probe at the same instant.
    public func firstRun(at now: MonotonicInstant, random: inout some RandomNumberGenerator) -> MonotonicInstant {
        now + interval * (jitter * Double.random(in: 0...1, using: &random))
    }

    /// The run after the one that started at `start`: in `start + interval * [1 - jitter, 1 + jitter]`.
    public func nextRun(after start: MonotonicInstant, random: inout some RandomNumberGenerator) -> MonotonicInstant {
        guard jitter > 0 else { return start + interval }
        return start + interval * (1 + Double.random(in: -jitter...jitter, using: &random))
    }

    /// The instant a run that started at `start` is abandoned.
    public func deadline(for start: MonotonicInstant) -> MonotonicInstant {
        start + timeout
    }

    /// `500ms`, `1s`, `1.5s`, `2m`: the config's own spelling (`formatDuration`), used in reasons such
    /// as "timeout after 500ms" so an operator can match them against the config.
    static func describe(_ duration: Duration) -> String {
        formatDuration(duration)
    }
}
