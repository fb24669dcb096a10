/// The node's own figures from `GET /api/nodes/{node}` (a subset of its columns).
public struct MQNodeStats: Sendable, Equatable {
    public var name: String?
    public var running: Bool?
    public var partitions: [String]?
    public var memAlarm: Bool?
    public var diskFreeAlarm: Bool?
    public var fdUsed: Int?
    public var fdTotal: Int?
    public var socketsUsed: Int?
    public var socketsTotal: Int?
    public var memUsed: Int64?
    public var memLimit: Int64?
    public var diskFree: Int64?
    public var diskFreeLimit: Int64?
    public var uptimeMs: Int64?

    public init(name: String? = nil, running: Bool? = nil, partitions: [String]? = nil, memAlarm: Bool? = nil,
                diskFreeAlarm: Bool? = nil) {
        self.name = name
        self.running = running
        self.partitions = partitions
        self.memAlarm = memAlarm
        self.diskFreeAlarm = diskFreeAlarm
    }

    /// The columns the probe asks for (`?columns=`), so the broker sends ~300 bytes, not ~6 KB.
    public static let columns = [
        "name", "running", "partitions", "mem_alarm", "disk_free_alarm", "fd_used", "fd_total", "sockets_used",
        "sockets_total", "mem_used", "mem_limit", "disk_free", "disk_free_limit", "uptime",
    ]
}
