/// One agent's RabbitMQ view as `GET /v1/rabbitmq` serves it (and `hactl rabbitmq status` prints):
/// the local verdict, the last status the probe assembled, and what a probe costs. Stable
/// snake_case JSON; fields may be added, none renamed.
public struct MQReport: Codable, Sendable, Equatable {
    public var node: String
    /// The Erlang node name probed (`rabbit@ctl1`).
    public var rabbitNode: String
    /// The local verdict (stale rule applied): what `/health/rabbitmq` answers.
    public var status: HealthStatus
    /// `ok`, or the one-line reason it fails.
    public var reason: String
    /// Age of the last probe result; nil before the first one.
    public var ageSeconds: Double?
    /// How long the last probe took.
    public var probeMs: Double?
    /// CPU time of the last AMQP round trip on the probe's worker thread.
    public var roundTripCPUMs: Double?
    /// What the last probe saw (running, partitions, alarms, critical checks, round trip, cluster).
    public var rabbitmq: MQStatus?

    public init(node: String, rabbitNode: String, status: HealthStatus, reason: String, ageSeconds: Double?,
                probeMs: Double?, roundTripCPUMs: Double?, rabbitmq: MQStatus?) {
        self.node = node
        self.rabbitNode = rabbitNode
        self.status = status
        self.reason = reason
        self.ageSeconds = ageSeconds
        self.probeMs = probeMs
        self.roundTripCPUMs = roundTripCPUMs
        self.rabbitmq = rabbitmq
    }

    enum CodingKeys: String, CodingKey {
        case node, status, reason, rabbitmq
        case rabbitNode = "rabbit_node"
        case ageSeconds = "age_seconds"
        case probeMs = "probe_ms"
        case roundTripCPUMs = "round_trip_cpu_ms"
    }
}
