#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A point in UTC time: nanoseconds since the Unix epoch (1970-01-01T00:00:00Z).
///
/// For timelines, history and anything shown to an operator or stored ("fenced at ..."), never for
/// deadlines or durations: wall time jumps (NTP, an operator's `date -s`); deadlines use
/// ``MonotonicInstant`` from an ``HAClock``. Arithmetic saturates instead of trapping.
public struct WallTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanosecondsSinceEpoch: Int64

    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    public init(secondsSinceEpoch: Int64) {
        let (value, overflow) = secondsSinceEpoch.multipliedReportingOverflow(by: 1_000_000_000)
        nanosecondsSinceEpoch = overflow ? (secondsSinceEpoch < 0 ? .min : .max) : value
    }

    /// The same instant as a Foundation `Date` (microsecond precision, as `Date` keeps).
    public init(_ date: Date) {
        let interval = date.timeIntervalSince1970
        guard interval.isFinite, abs(interval) < 9.2e9 else {
            nanosecondsSinceEpoch = interval < 0 ? .min : .max
            return
        }
        let seconds = interval.rounded(.down)
        let micros = Int64(((interval - seconds) * 1e6).rounded())
        nanosecondsSinceEpoch = Int64(seconds) * 1_000_000_000 + micros * 1_000
    }

    /// The Unix epoch.
    public static let epoch = WallTime(nanosecondsSinceEpoch: 0)

    /// Whole seconds since the epoch, rounded down (the `t=` of signed calls, `unixTime`).
    public var secondsSinceEpoch: Int64 {
        let (quotient, remainder) = nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000_000)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// Seconds since the epoch as a `Double`, as `Date().timeIntervalSince1970` gives.
    public var timeIntervalSince1970: Double {
        let seconds = secondsSinceEpoch
        return Double(seconds) + Double(nanosecondsSinceEpoch &- seconds &* 1_000_000_000) / 1e9
    }

    public var date: Date { Date(timeIntervalSince1970: timeIntervalSince1970) }

    public func advanced(by duration: Duration) -> WallTime {
        let (delta, overflow) = Self.nanoseconds(duration)
        if overflow { return WallTime(nanosecondsSinceEpoch: duration < .zero ? .min : .max) }
        let (sum, sumOverflow) = nanosecondsSinceEpoch.addingReportingOverflow(delta)
        if sumOverflow { return WallTime(nanosecondsSinceEpoch: delta < 0 ? .min : .max) }
        return WallTime(nanosecondsSinceEpoch: sum)
    }

    public static func + (lhs: WallTime, rhs: Duration) -> WallTime { lhs.advanced(by: rhs) }
    public static func - (lhs: WallTime, rhs: Duration) -> WallTime { lhs.advanced(by: .zero - rhs) }

    /// The time from `rhs` to `lhs` (positive when `lhs` is later).
    public static func - (lhs: WallTime, rhs: WallTime) -> Duration {
        let (delta, overflow) = lhs.nanosecondsSinceEpoch.subtractingReportingOverflow(rhs.nanosecondsSinceEpoch)
        if overflow { return .nanoseconds(lhs > rhs ? Int64.max : Int64.min) }
        return .nanoseconds(delta)
    }

    public static func < (lhs: WallTime, rhs: WallTime) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    /// ISO 8601 in UTC with milliseconds, e.g. `2026-12-05T12:30:06.123Z`.
    public var description: String {
        var seconds = time_t(secondsSinceEpoch)
        let millis = Int((nanosecondsSinceEpoch - secondsSinceEpoch &* 1_000_000_000) / 1_000_000)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "\(nanosecondsSinceEpoch)ns" }
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    private static func nanoseconds(_ duration: Duration) -> (Int64, overflow: Bool) {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, sumOverflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return (sum, overflow || sumOverflow)
    }
}

/// The wall clock every timeline and history entry takes by injection, beside the monotonic
/// ``HAClock`` for deadlines. Production code uses ``SystemWallClock``; tests use
/// ``ManualWallClock`` and set it by hand.
public protocol WallClock: Sendable {
    var now: WallTime { get }
}

/// The real wall clock: `CLOCK_REALTIME`.
public struct SystemWallClock: WallClock {
    public init() {}

    public var now: WallTime {
        var ts = timespec()
        // CLOCK_REALTIME cannot fail for a valid pointer.
        _ = clock_gettime(CLOCK_REALTIME, &ts)
        return WallTime(nanosecondsSinceEpoch: Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec))
    }
}

/// A wall clock that shows what a test sets. Unlike ``ManualClock`` it may be set backwards: a
/// real wall clock jumps, and code reading it must cope.
public final class ManualWallClock: WallClock {
    private let current: Mutex<WallTime>

    /// Starts at `now` (2026-01-01T00:00:00Z by default: a plausible date, not the epoch).
    public init(now: WallTime = WallTime(secondsSinceEpoch: 1_767_225_600)) {
        current = Mutex(now)
    }

    public var now: WallTime { current.withLock { $0 } }

    /// Sets the time, forwards or backwards.
    public func set(to time: WallTime) {
        current.withLock { $0 = time }
    }

    /// Moves the time by `duration` (negative: backwards).
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.advanced(by: duration) }
    }
}

/// Stored as its nanoseconds since the epoch (one integer), so a persisted timeline round-trips exactly.
extension WallTime: Codable {
    public init(from decoder: any Decoder) throws {
        nanosecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(nanosecondsSinceEpoch)
    }
}
