/// The JSON of `GET /v1/status`: one node's view of itself, all modules. Stable field names (snake_case
/// on the wire); new fields may be added, none renamed.
public struct NodeStatus: Codable, Sendable, Equatable {
    public var node: String
    public var cluster: String
    public var address: String
    public var version: String
    public var uptimeSeconds: Double
    public var drained: Bool
    /// Local checks from `checks:` (debounced, stale rule applied).
    public var checks: [CheckStatus]
    /// One entry per module: vip, galera, rabbitmq, compute.
    public var modules: [ModuleStatus]

    public init(node: String, cluster: String, address: String, version: String, uptimeSeconds: Double,
                drained: Bool, checks: [CheckStatus], modules: [ModuleStatus]) {
        self.node = node; self.cluster = cluster; self.address = address; self.version = version
        self.uptimeSeconds = uptimeSeconds; self.drained = drained; self.checks = checks; self.modules = modules
    }

    /// Healthy: not drained, every check passing, and no module that runs reports a problem.
    public var problems: [String] {
        var out: [String] = []
        if drained { out.append("\(node) drained") }
        for c in checks where c.status != .passing { out.append("\(node) check \(c.name): \(c.reason)") }
        for m in modules where m.state == .degraded { out.append("\(node) \(m.name): \(m.detail)") }
        return out
    }

    enum CodingKeys: String, CodingKey {
        case node, cluster, address, version, drained, checks, modules
        case uptimeSeconds = "uptime_seconds"
    }
}

public struct CheckStatus: Codable, Sendable, Equatable {
    public var name: String
    public var status: HealthStatus
    public var reason: String
    /// Seconds since the last probe result, nil before the first one.
    public var ageSeconds: Double?

    public init(name: String, status: HealthStatus, reason: String, ageSeconds: Double?) {
        self.name = name; self.status = status; self.reason = reason; self.ageSeconds = ageSeconds
    }

    enum CodingKeys: String, CodingKey { case name, status, reason; case ageSeconds = "age_seconds" }
}

public struct ModuleStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// The section is absent from the config.
        case off
        /// Configured, but this build does not implement the module yet.
        case notImplemented = "not-implemented"
        case ok
        case degraded
    }
    public var name: String
    public var state: State
    public var detail: String

    public init(name: String, state: State, detail: String) {
        self.name = name; self.state = state; self.detail = detail
    }
}

/// Answer of admin calls (`POST /v1/...`).
public struct AdminResult: Codable, Sendable, Equatable {
    public var node: String
    public var ok: Bool
    public var message: String
    public init(node: String, ok: Bool, message: String) { self.node = node; self.ok = ok; self.message = message }
}
