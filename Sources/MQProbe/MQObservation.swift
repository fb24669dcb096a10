import HACore

/// What the parts of one probe answered, each `nil` until it answers: the input of ``MQVerdict``.
///
/// The management calls and the AMQP round trip run concurrently; the probe records each part here as
/// it arrives and asks ``MQVerdict/decided(_:)`` whether it can stop waiting. A part that failed
/// because it ran out of time is recorded as a failure whose ``MQError/timedOut`` is true.
public struct MQObservation: Sendable, Equatable {
    /// `GET /api/nodes/{node}`.
    public var node: Result<MQNodeStats, MQError>?
    /// `GET /api/health/checks/local-alarms`.
    public var localAlarms: Result<MQHealthCheck, MQError>?
    /// `GET /api/health/checks/node-is-quorum-critical`.
    public var quorumCritical: Result<MQHealthCheck, MQError>?
    /// `GET /api/health/checks/node-is-mirror-sync-critical`.
    public var mirrorSyncCritical: Result<MQHealthCheck, MQError>?
    /// `GET /api/nodes?columns=name,running,partitions`: status only, never part of the verdict.
    public var cluster: Result<[MQClusterNode], MQError>?
    /// The AMQP publish/confirm/consume round trip.
    public var roundTrip: Result<MQRoundTrip, MQError>?

    public init(node: Result<MQNodeStats, MQError>? = nil, localAlarms: Result<MQHealthCheck, MQError>? = nil,
                quorumCritical: Result<MQHealthCheck, MQError>? = nil,
                mirrorSyncCritical: Result<MQHealthCheck, MQError>? = nil,
                cluster: Result<[MQClusterNode], MQError>? = nil, roundTrip: Result<MQRoundTrip, MQError>? = nil) {
        self.node = node
        self.localAlarms = localAlarms
        self.quorumCritical = quorumCritical
        self.mirrorSyncCritical = mirrorSyncCritical
        self.cluster = cluster
        self.roundTrip = roundTrip
    }

    /// Every part answered (the cluster view included).
    public var complete: Bool { managementComplete && cluster != nil && roundTrip != nil }

    /// The management parts the verdict uses all answered.
    var managementComplete: Bool {
        node != nil && localAlarms != nil && quorumCritical != nil && mirrorSyncCritical != nil
    }

    /// The alarmed resources (`disk space` spelled `disk`): from `local-alarms`, which the broker
    /// answers live, else from the node's flags, which lag by up to the statistics interval (5 s by
    /// default) and would hold a cleared alarm that long.
    var alarms: [String]? {
        var found: Set<String> = []
        if case .success(let check)? = localAlarms {
            for resource in check.alarms ?? [] { found.insert(resource == "disk space" ? "disk" : resource) }
        } else if case .success(let stats)? = node, stats.memAlarm != nil || stats.diskFreeAlarm != nil {
            if stats.memAlarm == true { found.insert("memory") }
            if stats.diskFreeAlarm == true { found.insert("disk") }
        } else {
            return nil
        }
        // Memory first, as operators say it; anything newer after, by name.
        let rank = ["memory": 0, "disk": 1]
        return found.sorted { (rank[$0] ?? 2, $0) < (rank[$1] ?? 2, $1) }
    }

    /// The status view for `node`, from whatever answered.
    public func status(node name: String) -> MQStatus {
        var status = MQStatus(node: name)
        if case .success(let stats)? = node {
            status.running = stats.running
            status.partitions = stats.partitions
            status.fdUsed = stats.fdUsed
            status.fdTotal = stats.fdTotal
            status.socketsUsed = stats.socketsUsed
            status.socketsTotal = stats.socketsTotal
            status.memUsed = stats.memUsed
            status.memLimit = stats.memLimit
            status.diskFree = stats.diskFree
            status.diskFreeLimit = stats.diskFreeLimit
            status.uptimeMs = stats.uptimeMs
        }
        status.alarms = alarms
        status.localAlarms = try? localAlarms?.get()
        status.quorumCritical = try? quorumCritical?.get()
        status.mirrorSyncCritical = try? mirrorSyncCritical?.get()
        status.clusterNodes = try? cluster?.get()
        switch roundTrip {
        case .success(let trip)?:
            status.roundTripMs = trip.roundTrip.fractionalMilliseconds
            status.confirmMs = trip.confirm.fractionalMilliseconds
        case .failure(let error)?:
            status.roundTripError = error.description
        case nil:
            break
        }
        status.managementError = managementFailure?.description
        return status
    }

    /// The first management part that failed, in the order the verdict reads them.
    var managementFailure: MQError? {
        let parts: [MQError?] = [node?.failure, localAlarms?.failure, quorumCritical?.failure,
                                 mirrorSyncCritical?.failure, cluster?.failure]
        return parts.lazy.compactMap { $0 }.first
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
