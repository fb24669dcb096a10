import HACore

/// One agent's Galera view as `GET /v1/galera` (and the signed peer call `POST /v1/galera/peer`)
/// serves it: the local verdict, how long it has passed, the last wsrep status read, and the writer
/// this agent designates. Stable snake_case JSON; fields may be added, none renamed.
public struct GaleraReport: Codable, Sendable, Equatable {
    public var node: String
    /// The local verdict (stale rule applied): what `/health/galera` answers.
    public var status: HealthStatus
    /// `ok`, or the one-line reason it fails.
    public var reason: String
    /// How long the verdict has passed without a break; nil when it is not passing. Peers place it
    /// on their own clock (`received - passing_for`) to rank candidates for the writer.
    public var passingForSeconds: Double?
    /// Age of the last probe result; nil before the first one.
    public var ageSeconds: Double?
    /// The last status the probe could read (it may be older than the verdict: see `status_age_seconds`).
    public var wsrep: GaleraStatus?
    /// Age of `wsrep`.
    public var statusAgeSeconds: Double?
    /// The designated writer as this agent sees it; nil when no controller passes (or not known yet).
    public var writer: String?

    public init(node: String, status: HealthStatus, reason: String, passingForSeconds: Double?, ageSeconds: Double?,
                wsrep: GaleraStatus?, statusAgeSeconds: Double?, writer: String?) {
        self.node = node
        self.status = status
        self.reason = reason
        self.passingForSeconds = passingForSeconds
        self.ageSeconds = ageSeconds
        self.wsrep = wsrep
        self.statusAgeSeconds = statusAgeSeconds
        self.writer = writer
    }

    enum CodingKeys: String, CodingKey {
        case node, status, reason, wsrep, writer
        case passingForSeconds = "passing_for_seconds"
        case ageSeconds = "age_seconds"
        case statusAgeSeconds = "status_age_seconds"
    }
}
