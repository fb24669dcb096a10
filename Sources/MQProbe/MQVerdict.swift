import HACore

/// Whether the local RabbitMQ node may take traffic, with a one-line reason: the pure decision behind
/// `GET /health/rabbitmq` and the agent-check `rabbitmq`.
///
/// A node passes only when it runs, has no local alarm, sees no partition, is neither quorum- nor
/// mirror-sync-critical, and a publish/consume round trip passed. When several rules fail, the first
/// in this order gives the reason (``Rule``), so the reason names the cause rather than a symptom (a
/// memory alarm also blocks the round trip; a stopped app also refuses the management API):
///
/// 1. `not running`
/// 2. `memory alarm`, `disk alarm` (both: `memory alarm, disk alarm`), or `local alarms: <reason>`
/// 3. `partitioned from rabbit@ctl1,rabbit@ctl2`
/// 4. `quorum critical: <reason>`
/// 5. `mirror sync critical: <reason>`
/// 6. the AMQP failure: `connect: ...`, `login: ...`, `password: ...`, `round trip: ...`
/// 7. the management API failure: `management API: HTTP 401: Login failed`
/// 8. `probe timeout after 2s` (with `waiting for round trip` or `waiting for management API` when
///    only one side did not answer)
///
/// A part that ran out of time counts as unanswered (rule 8), never as its own failure, so a hung
/// broker always reads `probe timeout after ...` whichever timer fired first.
///
/// The node's own stats (`/api/nodes/NAME`), the cluster list and the quorum-critical check only
/// add reasons (not running, partitioned, quorum critical); their absence is not a failure.
/// RabbitMQ 3.10 answers them only once every peer in its view has answered, so on a healthy node
/// they stall for up to `net_ticktime` (measured: 10 s) while a peer hangs or is cut off; failing the
/// majority for that would take every node out of HAProxy. A cut-off minority is still caught:
/// `pause_minority` stops its app, and the round trip fails. Local alarms, mirror-sync-critical and
/// the round trip answer at once and must.
public struct MQVerdict: ProbeVerdict {
    public var status: HealthStatus
    /// One line; `""` when passing.
    public var reason: String
    /// The broker did not answer in time (rule 8, ``timeout(after:detail:)``).
    public var timedOut: Bool

    /// The rules in the order their reasons win.
    public enum Rule: Int, Sendable, Comparable {
        case notRunning = 1, alarm, partitioned, quorumCritical, mirrorSyncCritical, amqp, management, timeout

        public static func < (lhs: Rule, rhs: Rule) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public init(status: HealthStatus, reason: String, timedOut: Bool = false) {
        self.status = status
        self.reason = reason
        self.timedOut = timedOut
    }

    public static let passing = MQVerdict(status: .passing, reason: "")


    /// The verdict on what answered; pure. Parts still `nil` (or timed out) are unanswered and give
    /// rule 8 unless an earlier rule fails. Before the deadline, call it only once ``decided(_:)`` holds.
    public static func evaluate(_ observation: MQObservation, timeout: Duration) -> MQVerdict {
        if let failure = failures(observation).min(by: { $0.rule < $1.rule }) {
            return .critical(failure.reason)
        }
        let amqpMissing = !answered(observation.roundTrip)
        let managementMissing = ![answered(observation.localAlarms), answered(observation.mirrorSyncCritical)]
            .allSatisfy { $0 }
        switch (amqpMissing, managementMissing) {
        case (false, false): return .passing
        case (true, true): return Self.timeout(after: timeout)
        case (true, false): return Self.timeout(after: timeout, detail: " waiting for round trip")
        case (false, true): return Self.timeout(after: timeout, detail: " waiting for management API")
        }
    }

    /// Whether the parts that answered already fix the verdict, whatever the others would say: every
    /// part answered, or a failure was found that outranks anything a pending part could report.
    public static func decided(_ observation: MQObservation) -> Bool {
        let pending = pendingRules(observation)
        guard let best = failures(observation).map(\.rule).min() else { return pending.isEmpty }
        return pending.allSatisfy { best < $0 }
    }


    // MARK: - Rules

    private struct Failure {
        var rule: Rule
        var reason: String
    }

    /// Every rule that fails on the parts that answered.
    private static func failures(_ o: MQObservation) -> [Failure] {
        var found: [Failure] = []
        if case .success(let stats)? = o.node {
            if stats.running == false { found.append(Failure(rule: .notRunning, reason: "not running")) }
            if let partitions = stats.partitions, !partitions.isEmpty {
                found.append(Failure(rule: .partitioned, reason: "partitioned from \(partitions.joined(separator: ","))"))
            }
        }
        if let alarm = alarmReason(o) { found.append(Failure(rule: .alarm, reason: alarm)) }
        if case .success(let check)? = o.quorumCritical, !check.ok {
            found.append(Failure(rule: .quorumCritical, reason: "quorum critical: \(checkReason(check))"))
        }
        if case .success(let check)? = o.mirrorSyncCritical, !check.ok {
            found.append(Failure(rule: .mirrorSyncCritical, reason: "mirror sync critical: \(checkReason(check))"))
        }
        if case .failure(let error)? = o.roundTrip, !error.timedOut {
            found.append(Failure(rule: .amqp, reason: error.description))
        }
        let management = [o.node?.failure, o.localAlarms?.failure, o.quorumCritical?.failure, o.mirrorSyncCritical?.failure]
        if let error = management.lazy.compactMap({ $0 }).first(where: { !$0.timedOut }) {
            found.append(Failure(rule: .management, reason: "management API: \(error.description)"))
        }
        return found
    }

    /// The best rule each unanswered part could still report (none once it answered).
    private static func pendingRules(_ o: MQObservation) -> [Rule] {
        var rules: [Rule] = []
        if !answered(o.node) { rules.append(.notRunning) }
        if !answered(o.localAlarms) { rules.append(.alarm) }
        if !answered(o.quorumCritical) { rules.append(.quorumCritical) }
        if !answered(o.mirrorSyncCritical) { rules.append(.mirrorSyncCritical) }
        if !answered(o.roundTrip) { rules.append(.amqp) }
        return rules
    }

    /// Answered, and not by running out of time.
    private static func answered<T>(_ part: Result<T, MQError>?) -> Bool {
        switch part {
        case nil: false
        case .failure(let error)?: !error.timedOut
        case .success?: true
        }
    }

    private static func alarmReason(_ o: MQObservation) -> String? {
        if let alarms = o.alarms, !alarms.isEmpty {
            return alarms.map { "\($0) alarm" }.joined(separator: ", ")
        }
        if case .success(let check)? = o.localAlarms, !check.ok {
            return "local alarms: \(checkReason(check))"
        }
        return nil
    }

    /// The API's reason, with the first queue it names (`... (queue 'nova' in vhost '/', 2 more)`).
    private static func checkReason(_ check: MQHealthCheck) -> String {
        var text = check.reason ?? check.status
        if let queues = check.queues, let first = queues.first {
            text += queues.count > 1 ? " (\(first) and \(queues.count - 1) more)" : " (\(first))"
        }
        return text
    }
}
