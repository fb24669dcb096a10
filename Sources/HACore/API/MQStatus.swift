/// What one probe saw of the local RabbitMQ node: the view behind `hactl rabbitmq status` and the
/// agent's `/v1/status`.
///
/// A plain value. Every field is optional: a part of the probe that failed, timed out, or was not
/// needed leaves its fields `nil` (and says why in `management_error` / `round_trip_error`). The JSON
/// form (`Codable`) uses stable snake_case keys, mostly the management API's own names.
public struct MQStatus: Sendable, Equatable, Codable {
    /// The Erlang node probed, e.g. `rabbit@ctl1`.
    public var node: String
    /// `running` from `GET /api/nodes/{node}`.
    public var running: Bool?
    /// Nodes this node is partitioned from (`partitions`); empty when none.
    public var partitions: [String]?
    /// Resources in alarm on this node: `memory`, `disk` (from the node and `local-alarms`); empty when none.
    public var alarms: [String]?
    /// `GET /api/health/checks/local-alarms`.
    public var localAlarms: MQHealthCheck?
    /// `GET /api/health/checks/node-is-quorum-critical`.
    public var quorumCritical: MQHealthCheck?
    /// `GET /api/health/checks/node-is-mirror-sync-critical`.
    public var mirrorSyncCritical: MQHealthCheck?
    /// Publish to delivery of the probe message, in milliseconds.
    public var roundTripMs: Double?
    /// Publish to the broker's confirm, in milliseconds.
    public var confirmMs: Double?
    /// Why the round trip failed (`connect: ...`, `round trip: ...`), or `nil`.
    public var roundTripError: String?
    /// Why (part of) the management API could not be read, or `nil`.
    public var managementError: String?
    public var fdUsed: Int?
    public var fdTotal: Int?
    public var socketsUsed: Int?
    public var socketsTotal: Int?
    /// Bytes.
    public var memUsed: Int64?
    /// The memory high watermark in bytes.
    public var memLimit: Int64?
    /// Bytes.
    public var diskFree: Int64?
    public var diskFreeLimit: Int64?
    public var uptimeMs: Int64?
    /// The cluster as this node sees it (`GET /api/nodes`), for the per-node table.
    public var clusterNodes: [MQClusterNode]?

    public init(node: String) {
        self.node = node
    }

    enum CodingKeys: String, CodingKey {
        case node, running, partitions, alarms
        case localAlarms = "local_alarms"
        case quorumCritical = "quorum_critical"
        case mirrorSyncCritical = "mirror_sync_critical"
        case roundTripMs = "round_trip_ms"
        case confirmMs = "confirm_ms"
        case roundTripError = "round_trip_error"
        case managementError = "management_error"
        case fdUsed = "fd_used"
        case fdTotal = "fd_total"
        case socketsUsed = "sockets_used"
        case socketsTotal = "sockets_total"
        case memUsed = "mem_used"
        case memLimit = "mem_limit"
        case diskFree = "disk_free"
        case diskFreeLimit = "disk_free_limit"
        case uptimeMs = "uptime_ms"
        case clusterNodes = "cluster_nodes"
    }
}

/// One node of `GET /api/nodes?columns=name,running,partitions`.
public struct MQClusterNode: Sendable, Equatable, Codable {
    public var name: String
    public var running: Bool
    /// Nodes this one is partitioned from.
    public var partitions: [String]

    public init(name: String, running: Bool, partitions: [String] = []) {
        self.name = name
        self.running = running
        self.partitions = partitions
    }
}

/// The answer of one `/api/health/checks/...` endpoint: `200 {"status":"ok"}` or
/// `503 {"status":"failed","reason":...}`, with what it lists (alarmed resources, critical queues).
public struct MQHealthCheck: Sendable, Equatable, Codable {
    /// `ok` or `failed`, as the API says it.
    public var status: String
    public var reason: String?
    /// `local-alarms`: the resources in alarm (`memory`, `disk space`).
    public var alarms: [String]?
    /// The critical queues' readable names (`queue 'nova' in vhost '/'`).
    public var queues: [String]?

    public init(status: String, reason: String? = nil, alarms: [String]? = nil, queues: [String]? = nil) {
        self.status = status
        self.reason = reason
        self.alarms = alarms
        self.queues = queues
    }

    public var ok: Bool { status == "ok" }
}
