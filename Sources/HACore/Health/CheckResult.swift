/// How healthy something is, in increasing severity: `passing < warning < critical`.
///
/// Health endpoints answer 200 only for `passing`; `warning` is reported (status, metrics) but, like
/// `critical`, fails an endpoint. The raw values are the stable JSON and log spellings.
public enum HealthStatus: String, Sendable, Codable, Comparable, CaseIterable, CustomStringConvertible {
    case passing
    case warning
    case critical

    private var severity: Int {
        switch self {
        case .passing: 0
        case .warning: 1
        case .critical: 2
        }
    }

    public static func < (lhs: HealthStatus, rhs: HealthStatus) -> Bool {
        lhs.severity < rhs.severity
    }

    public var description: String { rawValue }
}

/// One observation made by a check: status, a one-line reason and when it was made.
public struct CheckResult: Sendable, Equatable, CustomStringConvertible {
    public var status: HealthStatus
    /// One line, suitable for a `503` body or an agent-check `down #reason`; `""` when passing is fine.
    public var reason: String
    /// When the observation was made, on the injected clock; the stale rule measures from here.
    public var at: MonotonicInstant
    /// The server did not answer before the probe's deadline (a hang, not a refusal): the probe
    /// loop's deadline does not move, and a hung server still counts as running. Typed, so no
    /// decision reads it back out of `reason`.
    public var timedOut: Bool

    /// Creates a result; line breaks in `reason` are replaced by spaces so it stays one line.
    public init(status: HealthStatus, reason: String, at: MonotonicInstant, timedOut: Bool = false) {
        self.status = status
        self.reason = Self.oneLine(reason)
        self.at = at
        self.timedOut = timedOut
    }

    public static func passing(_ reason: String = "", at: MonotonicInstant) -> CheckResult {
        CheckResult(status: .passing, reason: reason, at: at)
    }

    public static func warning(_ reason: String, at: MonotonicInstant) -> CheckResult {
        CheckResult(status: .warning, reason: reason, at: at)
    }

    public static func critical(_ reason: String, at: MonotonicInstant) -> CheckResult {
        CheckResult(status: .critical, reason: reason, at: at)
    }

    /// The server did not answer in time: critical, `probe timeout after 2s` then `detail`.
    public static func timeout(after timeout: Duration, detail: String = "", at: MonotonicInstant) -> CheckResult {
        CheckResult(status: .critical, reason: timeoutReason(after: timeout, detail: detail), at: at, timedOut: true)
    }

    /// `probe timeout after 2s`, then `detail` verbatim (` waiting for round trip`, `; 2 earlier ...`).
    public static func timeoutReason(after timeout: Duration, detail: String = "") -> String {
        "probe timeout after \(formatDuration(timeout))" + detail
    }

    public var description: String {
        reason.isEmpty ? "\(status) at \(at)" : "\(status) \"\(reason)\" at \(at)"
    }

    static func oneLine(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        return String(text.map { $0.isNewline ? " " : $0 })
    }
}
