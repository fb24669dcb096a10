/// A point on a monotonic time line, in nanoseconds since an arbitrary origin.
///
/// With ``SystemClock`` the origin is the kernel's `CLOCK_MONOTONIC` zero (boot), so values agree with
/// SwiftNIO's `NIODeadline.uptimeNanoseconds`; with ``ManualClock`` it is whatever the test starts at.
/// Instants from different clocks must not be compared. Arithmetic saturates instead of trapping, so a
/// "never" deadline such as `.distantFuture` is safe to add to.
public struct MonotonicInstant: InstantProtocol, Sendable, Hashable, Comparable, CustomStringConvertible {
    public typealias Duration = Swift.Duration

    /// Nanoseconds since the clock's origin.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The clock's origin.
    public static let zero = MonotonicInstant(nanoseconds: 0)
    /// Later than any instant a clock will report; a deadline that never passes.
    public static let distantFuture = MonotonicInstant(nanoseconds: .max)

    public func advanced(by duration: Duration) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: Self.saturatingAdd(nanoseconds, duration.monotonicNanoseconds))
    }

    public func duration(to other: MonotonicInstant) -> Duration {
        let (delta, overflow) = other.nanoseconds.subtractingReportingOverflow(nanoseconds)
        if overflow { return other.nanoseconds > nanoseconds ? .nanoseconds(Int64.max) : .nanoseconds(Int64.min) }
        return .nanoseconds(delta)
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    public static func + (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant {
        lhs.advanced(by: rhs)
    }

    public static func += (lhs: inout MonotonicInstant, rhs: Duration) {
        lhs = lhs.advanced(by: rhs)
    }

    public static func - (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant {
        lhs.advanced(by: .zero - rhs)
    }

    public static func -= (lhs: inout MonotonicInstant, rhs: Duration) {
        lhs = lhs - rhs
    }

    /// The time from `rhs` to `lhs` (positive when `lhs` is later).
    public static func - (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Duration {
        rhs.duration(to: lhs)
    }

    /// Seconds since the origin, e.g. `12.5s`.
    public var description: String {
        let seconds = nanoseconds / 1_000_000_000
        let fraction = abs(nanoseconds % 1_000_000_000)
        guard fraction != 0 else { return "\(seconds)s" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        let sign = nanoseconds < 0 && seconds == 0 ? "-" : ""
        return "\(sign)\(seconds).\(digits)s"
    }

    private static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard overflow else { return sum }
        return b > 0 ? .max : .min
    }
}

extension Duration {
    /// Whole nanoseconds, saturated to the `Int64` range (about 292 years either way).
    var monotonicNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds > 0 ? .max : .min }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds > 0 ? .max : .min }
        return sum
    }
}
