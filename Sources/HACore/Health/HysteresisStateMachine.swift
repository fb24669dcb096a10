/// Debounces raw check results into a status (pure value type, no clock, no effects).
///
/// A result *better* than the debounced status counts toward `rise`, a *worse* one toward `fall`
/// (severity order `passing < warning < critical`). When `rise` (or `fall`) consecutive results point the
/// same way, the status moves to the status of the latest of them. A result equal to the status, or one
/// pointing the other way, resets the count. So with `rise: 2, fall: 3` a passing check needs three
/// failures in a row to turn critical and then two passes in a row to come back, and a flapping check
/// keeps its status.
public struct HysteresisStateMachine: Sendable, Equatable {
    public enum Event: Sendable, Equatable {
        case result(CheckResult)
    }

    public enum Action: Sendable, Equatable {
        /// The debounced status changed; `reason` is the reason of the result that completed the streak.
        case changed(from: HealthStatus, to: HealthStatus, reason: String)
    }

    /// Consecutive better results needed to improve the status.
    public let rise: Int
    /// Consecutive worse results needed to degrade the status.
    public let fall: Int
    /// The debounced status.
    public private(set) var status: HealthStatus
    /// The reason that goes with `status`: the reason of the latest result that set or confirmed it.
    public private(set) var reason: String
    /// How many consecutive results so far point away from `status` (always below the threshold).
    public private(set) var streak: Int = 0
    private var rising = false

    /// A machine at `initial` (critical by default: a check proves itself `rise` times before it passes).
    public init(rise: Int, fall: Int, initial: HealthStatus = .critical, reason: String = "no result yet") {
        precondition(rise >= 1 && fall >= 1, "rise and fall must be at least 1")
        self.rise = rise
        self.fall = fall
        self.status = initial
        self.reason = initial == .passing ? "" : reason
    }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .result(let result):
            return handle(result)
        }
    }

    private mutating func handle(_ result: CheckResult) -> [Action] {
        if result.status == status {
            streak = 0
            reason = result.reason
            return []
        }
        let better = result.status < status
        if streak > 0 && better == rising {
            streak += 1
        } else {
            streak = 1
            rising = better
        }
        guard streak >= (better ? rise : fall) else { return [] }
        let previous = status
        status = result.status
        reason = result.reason
        streak = 0
        return [.changed(from: previous, to: status, reason: result.reason)]
    }
}
