import HACore

/// Which instances a recovery evacuates, where to, and its bounds: `compute.recovery` as the
/// workflow reads it.
public struct RecoveryPolicy: Sendable, Equatable, Codable {
    /// `instances:` — which servers of a failed host are evacuated.
    public enum Selection: String, Sendable, Codable {
        /// Only servers whose metadata has `HA_Enabled=True` (case-insensitive), as Masakari.
        case haEnabled = "ha_enabled"
        /// Every server, except those that opt out.
        case all
    }

    /// `method:` — Masakari's recovery methods.
    public enum Method: String, Sendable, Codable {
        /// Nova's scheduler picks each target.
        case auto
        /// A reserved host is enabled and every instance is sent there.
        case reservedHost = "reserved_host"
        /// The scheduler first; an instance whose evacuation failed goes to a reserved host.
        case autoPriority = "auto_priority"
        /// A reserved host first; an instance whose evacuation failed goes where the scheduler says.
        case rhPriority = "rh_priority"
    }

    /// What happens to servers that are in ERROR when their host fails (Masakari's
    /// `ignore_instances_in_error_state`).
    public enum ErrorInstances: String, Sendable, Codable {
        /// Rebuilt elsewhere like the others; any settled state there counts.
        case evacuate
        /// Left alone, reported as skipped.
        case skip
    }

    /// Metadata key, flavor extra spec or image property that keeps a server from ever being rebuilt
    /// elsewhere (an amphora without its config drive, a passthrough device): value `true`.
    public static let optOutKey = "hactl:no_evacuate"
    /// The metadata key of `instances: ha_enabled`.
    public static let haEnabledKey = "HA_Enabled"

    public var selection: Selection
    public var method: Method
    public var reservedHosts: [String]
    public var errorInstances: ErrorInstances
    /// Evacuations in flight at once (1...64).
    public var concurrency: Int
    /// How long fence attempts are retried before the recovery is `fence_failed`.
    public var fenceTimeout: Duration
    /// The pause between two fence attempts.
    public var fenceRetryDelay: Duration
    /// Attempts of each isolation step (force-down, listing) before the recovery is `partial`.
    public var stepAttempts: Int
    /// The pause before a step or an evacuation is tried again.
    public var retryDelay: Duration
    /// Evacuations sent per instance (a first one plus retries after ERROR or a refusal).
    public var maxAttempts: Int
    /// Times an instance's evacuation may be deferred (409 task in flight, 400 host not yet down).
    public var maxDeferrals: Int
    /// How long an accepted evacuation may take to reach its state elsewhere.
    public var evacuationTimeout: Duration
    /// How often accepted evacuations are polled.
    public var pollInterval: Duration

    public init(selection: Selection = .haEnabled, method: Method = .auto, reservedHosts: [String] = [],
                errorInstances: ErrorInstances = .evacuate, concurrency: Int = 8,
                fenceTimeout: Duration = .seconds(60), fenceRetryDelay: Duration = .seconds(1),
                stepAttempts: Int = 5, retryDelay: Duration = .seconds(2), maxAttempts: Int = 3,
                maxDeferrals: Int = 30, evacuationTimeout: Duration = .seconds(300),
                pollInterval: Duration = .milliseconds(500)) {
        self.selection = selection
        self.method = method
        self.reservedHosts = reservedHosts
        self.errorInstances = errorInstances
        self.concurrency = min(max(concurrency, 1), 64)
        self.fenceTimeout = fenceTimeout
        self.fenceRetryDelay = fenceRetryDelay
        self.stepAttempts = max(stepAttempts, 1)
        self.retryDelay = retryDelay
        self.maxAttempts = max(maxAttempts, 1)
        self.maxDeferrals = max(maxDeferrals, 0)
        self.evacuationTimeout = evacuationTimeout
        self.pollInterval = pollInterval
    }

    /// The decision for one server of the failed host.
    public enum Choice: Sendable, Equatable {
        case evacuate(ExpectedEnd)
        case skip(String)
    }

    /// Whether (and to what end state) `server` is evacuated. Pure; the reasons are for people.
    public func choose(_ server: ServerView) -> Choice {
        if Self.isTrue(server.metadata[Self.optOutKey]) || Self.isTrue(server.properties[Self.optOutKey]) {
            return .skip("opted out (\(Self.optOutKey))")
        }
        let haEnabled = server.metadata.first { $0.key.lowercased() == Self.haEnabledKey.lowercased() }?.value
        switch selection {
        case .haEnabled where !Self.isTrue(haEnabled):
            return .skip("not HA-enabled (\(Self.haEnabledKey) is not True)")
        case .all where haEnabled.map({ $0.lowercased() == "false" }) == true:
            return .skip("opted out (\(Self.haEnabledKey)=False)")
        default:
            break
        }
        switch server.status.uppercased() {
        case "ACTIVE":
            return .evacuate(.active)
        case "SHUTOFF", "STOPPED":
            return .evacuate(.stopped)
        case "ERROR":
            return errorInstances == .skip ? .skip("in ERROR (error_instances: skip)") : .evacuate(.settled)
        case "DELETED", "SOFT_DELETED", "SHELVED_OFFLOADED":
            return .skip("\(server.status): nothing runs on the host")
        default:
            // PAUSED, SUSPENDED, RESCUE, resizing...: Nova rebuilds them as it can; any settled state counts.
            return .evacuate(.settled)
        }
    }

    static func isTrue(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["true", "yes", "1", "on"].contains(value.trimmingSpaces().lowercased())
    }
}

extension RecoveryPolicy {
    /// The policy of `compute.recovery` (the config reader has checked every value).
    public init(_ settings: RecoverySettings) {
        self.init(selection: Selection(rawValue: settings.instances) ?? .haEnabled,
                  method: Method(rawValue: settings.method) ?? .auto, reservedHosts: settings.reservedHosts,
                  errorInstances: ErrorInstances(rawValue: settings.errorInstances) ?? .evacuate, concurrency: settings.concurrency,
                  fenceTimeout: settings.fenceTimeout, evacuationTimeout: settings.evacuationTimeout)
    }
}
