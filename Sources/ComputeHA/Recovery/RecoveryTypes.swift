import HACore

/// What the recovery knows of one Nova server: the fields the workflow decides on.
public struct ServerView: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// `OS-EXT-SRV-ATTR:host`: the compute host Nova places it on (nil when Nova hides it or none).
    public var host: String?
    /// Nova's `status`: ACTIVE, SHUTOFF, ERROR, REBUILD, ...
    public var status: String
    /// `OS-EXT-STS:task_state`; nil when no task is in flight.
    public var taskState: String?
    /// Server metadata (`HA_Enabled`, the opt-out key).
    public var metadata: [String: String]
    /// Flavor extra specs and image properties, where known (both can carry the opt-out).
    public var properties: [String: String]

    public init(id: String, name: String = "", host: String?, status: String, taskState: String? = nil,
                metadata: [String: String] = [:], properties: [String: String] = [:]) {
        self.id = id
        self.name = name
        self.host = host
        self.status = status
        self.taskState = taskState
        self.metadata = metadata
        self.properties = properties
    }
}

/// Where a recovery stands. The last three are final.
public enum RecoveryPhase: String, Sendable, Codable, CaseIterable {
    /// Powering the host off through its BMC; nothing else happens until it is confirmed off.
    case fencing
    /// Forcing the host's nova-compute down, then disabling it.
    case isolating
    /// Evacuating the selected instances and tracking each to its state on another host.
    case evacuating
    /// Every selected instance runs elsewhere in its former state.
    case recovered
    /// The host is fenced, but some instance (or the isolation) failed: an operator must look.
    case partial
    /// The host could not be confirmed off: nothing was touched.
    case fenceFailed = "fence_failed"

    public var isFinal: Bool { self == .recovered || self == .partial || self == .fenceFailed }
}

/// One instance's progress. Persisted before each evacuation is sent and after each answer, so a
/// resumed recovery knows which evacuations may have been sent (`requested`) and checks Nova first.
public enum InstanceProgress: String, Sendable, Codable {
    /// Selected, not yet sent (or to be sent again after a retryable answer).
    case pending
    /// The evacuation may have been sent: its answer was not recorded.
    case requested
    /// Resumed after `requested`: Nova is being asked whether the evacuation happened.
    case verifying
    /// Nova accepted the evacuation: tracked until it runs elsewhere.
    case accepted
    /// Evacuated and running elsewhere in its former state (a stopped one stays stopped).
    case done
    /// Given up: the reason says why.
    case failed
    /// Not evacuated by choice (not HA-enabled, opted out, deleted...): the reason says why.
    case skipped

    public var isFinal: Bool { self == .done || self == .failed || self == .skipped }
}

/// The state an evacuated instance must reach on its new host.
public enum ExpectedEnd: String, Sendable, Codable {
    /// It was ACTIVE: it must end ACTIVE (Nova 2.95+ leaves evacuated instances stopped: start it).
    case active
    /// It was stopped: it ends stopped.
    case stopped
    /// It was ERROR: any settled state on another host will do.
    case settled
}

/// One selected (or skipped) instance of a recovery.
public struct InstanceRecord: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var progress: InstanceProgress
    public var expected: ExpectedEnd
    /// Evacuations sent so far (bounded by the policy's `maxAttempts`).
    public var attempts: Int
    /// Times its evacuation was put off (409 task in flight, 400 host not yet down).
    public var deferrals: Int
    /// The host it was sent to, when one was named (`reserved_host`).
    public var target: String?
    /// Where it runs now, once seen elsewhere.
    public var landedOn: String?
    /// Why it failed, was skipped or is waiting.
    public var reason: String?
    /// When a retry may be sent (409 task in flight, 400 host not yet down) or when its wait ends.
    public var notBefore: WallTime?
    /// When its current evacuation was accepted (its tracking deadline starts there).
    public var acceptedAt: WallTime?
    public var startedWhenStopped: Bool

    public init(id: String, name: String, progress: InstanceProgress, expected: ExpectedEnd, reason: String? = nil) {
        self.id = id
        self.name = name
        self.progress = progress
        self.expected = expected
        self.attempts = 0
        self.deferrals = 0
        self.reason = reason
        self.startedWhenStopped = false
    }
}

/// How a recovery was started.
public enum RecoveryTrigger: String, Sendable, Codable {
    /// `hactl compute evacuate HOST` (or `fence`).
    case manual
    /// The detection found the host failed.
    case automatic
}

/// What the fence runner reports for one `off` + `status` round.
public enum FenceOutcome: Sendable, Equatable {
    /// `status` said off after `off`.
    case confirmedOff
    /// The agent ran but the host still reads on (or its status could not be read).
    case notConfirmed(String)
    /// The agent failed (missing, timed out, BMC unreachable, wrong password): the agent's words.
    case failed(String)
}

/// Nova's answer to one evacuation request.
public enum EvacuateAnswer: Sendable, Equatable {
    /// 200/202.
    case accepted
    /// 409: a task is in flight on the instance (or it is locked): retried after the task ends.
    case conflict(String)
    /// 400 while the source host's service still reads up: retried shortly.
    case hostNotDown(String)
    /// 404: the server was deleted meanwhile.
    case notFound
    /// Anything else (400, 403, 500, transport error): counts as an attempt.
    case rejected(String)
}
