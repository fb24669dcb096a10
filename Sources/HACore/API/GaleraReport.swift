/// One agent's Galera view as `GET /v1/galera` (and the signed peer call `POST /v1/galera/peer`)
/// serves it: the local verdict, how long it has passed, the last wsrep status read, and the writer
/// this agent designates. Stable snake_case JSON; fields may be added, none renamed.
///
/// Decoding is defensive: the report comes from the network (a peer, or the CLI reading an agent),
/// so every seconds field goes through ``boundedSeconds(_:)`` (non-finite or negative: absent; above
/// ``maxSeconds``: clamped) before anything does arithmetic with it.
public struct GaleraReport: Codable, Sendable, Equatable {
    /// The largest seconds value kept from a decoded report (one day): far above any hold-down or
    /// stale window, far below anything that overflows a `Duration` or `Int64` nanoseconds.
    public static let maxSeconds: Double = 86_400

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
    /// The node is drained (`hactl node drain`): never a writer candidate. Absent (older agents): false.
    public var drained: Bool?

    public init(node: String, status: HealthStatus, reason: String, passingForSeconds: Double?, ageSeconds: Double?,
                wsrep: GaleraStatus?, statusAgeSeconds: Double?, writer: String?, drained: Bool? = nil) {
        self.node = node
        self.status = status
        self.reason = reason
        self.passingForSeconds = passingForSeconds
        self.ageSeconds = ageSeconds
        self.wsrep = wsrep
        self.statusAgeSeconds = statusAgeSeconds
        self.writer = writer
        self.drained = drained
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        node = try c.decode(String.self, forKey: .node)
        status = try c.decode(HealthStatus.self, forKey: .status)
        reason = try c.decode(String.self, forKey: .reason)
        passingForSeconds = Self.boundedSeconds(try c.decodeIfPresent(Double.self, forKey: .passingForSeconds))
        ageSeconds = Self.boundedSeconds(try c.decodeIfPresent(Double.self, forKey: .ageSeconds))
        wsrep = try c.decodeIfPresent(GaleraStatus.self, forKey: .wsrep)
        statusAgeSeconds = Self.boundedSeconds(try c.decodeIfPresent(Double.self, forKey: .statusAgeSeconds))
        writer = try c.decodeIfPresent(String.self, forKey: .writer)
        drained = try c.decodeIfPresent(Bool.self, forKey: .drained)
    }

    enum CodingKeys: String, CodingKey {
        case node, status, reason, wsrep, writer, drained
        case passingForSeconds = "passing_for_seconds"
        case ageSeconds = "age_seconds"
        case statusAgeSeconds = "status_age_seconds"
    }

    /// A seconds value from the network made safe: nil when absent, NaN, infinite or negative;
    /// at most ``maxSeconds``. Never traps.
    public static func boundedSeconds(_ value: Double?) -> Double? {
        guard let value, value.isFinite, value >= 0 else { return nil }
        return min(value, maxSeconds)
    }

    /// ``boundedSeconds(_:)`` as a `Duration` (millisecond resolution); nil when it is not usable.
    public static func boundedDuration(_ value: Double?) -> Duration? {
        guard let seconds = boundedSeconds(value) else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The report's `wsrep` was read by the agent's latest probe (not left over from before its
    /// server stopped answering) and that probe is recent (within `window`).
    public func statusIsCurrent(window: Duration) -> Bool {
        guard wsrep != nil, let statusAge = Self.boundedDuration(statusAgeSeconds),
              let age = Self.boundedDuration(ageSeconds) else { return false }
        return statusAge <= age + .milliseconds(500) && statusAge <= window
    }
}
