/// What every probe's verdict is (Galera's, RabbitMQ's, and any module's to come): a status, a one-line
/// reason, and whether the server failed to answer in time. The rules that reach a verdict belong to
/// each module; the shared behaviour (rendering, a typed timeout, the board's ``CheckResult``) lives
/// here once.
public protocol ProbeVerdict: Sendable, Equatable, CustomStringConvertible {
    var status: HealthStatus { get }
    /// One line; `""` when there is nothing to say.
    var reason: String { get }
    /// The server did not answer in time (``timeout(after:detail:)``).
    var timedOut: Bool { get }
    init(status: HealthStatus, reason: String, timedOut: Bool)
}

extension ProbeVerdict {
    public var isPassing: Bool { status == .passing }

    public var description: String { reason.isEmpty ? status.rawValue : "\(status.rawValue): \(reason)" }

    public static func critical(_ reason: String) -> Self { Self(status: .critical, reason: reason, timedOut: false) }

    /// The probe did not finish within `timeout`: `probe timeout after 2s`, then `detail` verbatim.
    public static func timeout(after timeout: Duration, detail: String = "") -> Self {
        Self(status: .critical, reason: CheckResult.timeoutReason(after: timeout, detail: detail), timedOut: true)
    }

    /// This verdict as an observation made at `at`.
    public func result(at: MonotonicInstant) -> CheckResult {
        CheckResult(status: status, reason: reason, at: at, timedOut: timedOut)
    }
}
