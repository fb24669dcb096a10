import HACore

/// Whether this Galera node may take reads and writes, with a one-line reason: the pure decision
/// behind `GET /health/galera` and the agent-check `galera`.
///
/// A node passes only when it is a Galera node (`wsrep_on=ON`), in the Primary component, connected,
/// ready, Synced (or Donor/Desynced with `available_when_donor`, unless
/// `wsrep_sst_donor_rejects_queries=ON`), not rejecting queries, and not `read_only` (unless
/// `available_when_readonly`). The first failing rule, in that order, gives the reason, so the reason
/// names the most fundamental problem (a non-Primary node is usually not Synced either).
public struct GaleraVerdict: ProbeVerdict {
    public var status: HealthStatus
    /// One line; `""` for a plainly healthy node, a note when a config flag let the node pass.
    public var reason: String
    /// The server did not answer in time (``ProbeVerdict/timeout(after:detail:)``).
    public var timedOut: Bool

    public init(status: HealthStatus, reason: String, timedOut: Bool = false) {
        self.status = status
        self.reason = reason
        self.timedOut = timedOut
    }

    public static func passing(_ reason: String = "") -> GaleraVerdict { GaleraVerdict(status: .passing, reason: reason) }

    /// The verdict for a status read from the node; pure.
    public static func evaluate(_ status: GaleraStatus, config: GaleraConfig) -> GaleraVerdict {
        if let failure = membershipFailure(status) { return .critical(failure) }
        if let reject = status.rejectQueries, reject.uppercased() != "NONE" {
            return .critical("rejecting queries (wsrep_reject_queries=\(reject))")
        }
        let state = stateVerdict(status, config: config)
        guard state.isPassing else { return state }
        if status.readOnly == true {
            guard config.availableWhenReadonly else { return .critical("read-only") }
            return .passing(state.reason.isEmpty ? "read-only, allowed by available_when_readonly" : state.reason)
        }
        return state
    }

    /// The probe failed: `connect: <mysql error> (errno N)` and the like.
    public static func failed(_ error: GaleraError) -> GaleraVerdict {
        .critical(error.description)
    }

    /// Galera itself: is this a Galera node in the Primary component, connected and ready?
    private static func membershipFailure(_ status: GaleraStatus) -> String? {
        if status.wsrepOn != true {
            return "not a Galera node (wsrep_on=\(status.wsrepOn.map { $0 ? "ON" : "OFF" } ?? "unknown"))"
        }
        if let provider = status.provider, provider.lowercased() == "none" {
            return "not a Galera node (wsrep_provider=none)"
        }
        if status.cluster != .primary { return "non-Primary (cluster_status=\(status.clusterStatus ?? "unknown"))" }
        if status.connected != true { return "not connected" }
        if status.ready != true { return "not ready" }
        return nil
    }

    /// `wsrep_local_state`: Synced passes; Donor/Desynced passes only when allowed.
    private static func stateVerdict(_ status: GaleraStatus, config: GaleraConfig) -> GaleraVerdict {
        switch status.localState {
        case GaleraStatus.LocalState.synced?:
            return .passing()
        case GaleraStatus.LocalState.donorDesynced?:
            guard config.availableWhenDonor else { return .critical("donor/desynced") }
            if status.sstDonorRejectsQueries == true {
                return .critical("donor/desynced (wsrep_sst_donor_rejects_queries=ON)")
            }
            return .passing("donor/desynced, allowed by available_when_donor")
        case GaleraStatus.LocalState.joining?:
            return .critical("joining")
        case GaleraStatus.LocalState.joined?:
            return .critical("joined")
        case let other?:
            let comment = status.localStateComment.map { ": \($0)" } ?? ""
            return .critical("not synced (wsrep_local_state=\(other)\(comment))")
        case nil:
            return .critical("not synced (wsrep_local_state unknown)")
        }
    }
}
