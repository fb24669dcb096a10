/// Where one node stands after a full outage, as its agent reports it for `hactl galera recover`
/// (`POST /v1/galera/position`). Stable snake_case JSON.
public struct GaleraPosition: Codable, Sendable, Equatable {
    /// Where the position came from.
    public enum Source: String, Codable, Sendable {
        /// `grastate.dat` had a seqno (the server stopped cleanly).
        case grastate
        /// `grastate.dat` said -1 (a crash), so the agent ran the recover command.
        case wsrepRecover = "wsrep-recover"
        /// The server is running; the position is its `wsrep_last_committed`.
        case running
        /// Nothing could be learnt; see `error`.
        case unknown
    }

    public var node: String
    /// The local server answers the probe.
    public var running: Bool
    /// `wsrep_cluster_status` when it runs.
    public var clusterStatus: String?
    public var uuid: String?
    public var seqno: Int64?
    public var safeToBootstrap: Bool
    public var source: Source
    /// Why the position is unknown (`grastate.dat` unreadable, the recover command failed...).
    public var error: String?

    public init(node: String, running: Bool, clusterStatus: String? = nil, uuid: String?, seqno: Int64?,
                safeToBootstrap: Bool, source: Source, error: String? = nil) {
        self.node = node
        self.running = running
        self.clusterStatus = clusterStatus
        self.uuid = uuid
        self.seqno = seqno
        self.safeToBootstrap = safeToBootstrap
        self.source = source
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case node, running, uuid, seqno, source, error
        case clusterStatus = "cluster_status"
        case safeToBootstrap = "safe_to_bootstrap"
    }

    /// The cluster UUID of a node that never joined a cluster (`grastate.dat` after a fresh install).
    public static let zeroUUID = "00000000-0000-0000-0000-000000000000"

    /// A usable position: a known seqno (not -1) in a real cluster (not the zero UUID).
    public var isKnown: Bool {
        guard let seqno, seqno >= 0, let uuid, uuid != Self.zeroUUID else { return false }
        return true
    }
}

/// The decision of `hactl galera recover`: which node bootstraps the cluster after a full outage,
/// and which join it afterwards. Pure over the positions every agent reported.
///
/// Rules, in order:
/// - a node whose server runs is never recovered around: a running Primary means there is no full
///   outage; a running non-Primary node must be stopped first (bootstrapping beside it would make
///   two clusters). `--force` does not override this.
/// - an unreachable agent or an unknown position is a problem: the missing node might hold the
///   latest write. With `force` such nodes are left out (and reported as ignored).
/// - known positions must all carry the same cluster UUID (never overridden: different UUIDs are
///   different clusters).
/// - the node with the highest seqno bootstraps; ties go to `safe_to_bootstrap: 1`, then config order.
public struct RecoveryPlan: Codable, Sendable, Equatable {
    /// The node to bootstrap; nil when the plan refuses.
    public var bootstrap: String?
    /// The nodes to start after it, config order (only reachable ones).
    public var others: [String]
    /// Why the plan refuses; empty when it does not.
    public var problems: [String]
    /// Nodes left out because of `force`, with the reason.
    public var ignored: [String]

    public var refused: Bool { bootstrap == nil }

    public init(bootstrap: String?, others: [String], problems: [String], ignored: [String]) {
        self.bootstrap = bootstrap
        self.others = others
        self.problems = problems
        self.ignored = ignored
    }

    /// Plans from every controller's answer, in config order (`failure`: the agent could not be asked).
    public static func make(_ answers: [(node: String, position: Result<GaleraPosition, PlanInputError>)],
                            force: Bool) -> RecoveryPlan {
        var problems: [String] = []
        var ignored: [String] = []
        var usable: [GaleraPosition] = []
        var reachable: [String] = []
        func missing(_ text: String) { if force { ignored.append(text) } else { problems.append(text) } }

        for answer in answers {
            switch answer.position {
            case .failure(let error):
                missing("\(answer.node): \(error.message)")
            case .success(let position):
                reachable.append(answer.node)
                if position.running {
                    let status = position.clusterStatus ?? "unknown status"
                    let primary = position.clusterStatus.flatMap(GaleraStatus.ClusterStatus.init(rawValue:)) == .primary
                    problems.append(primary
                        ? "\(answer.node): the server is running and Primary: this is not a full outage"
                        : "\(answer.node): the server is running (\(status)): stop it before recovering")
                } else if position.isKnown {
                    usable.append(position)
                } else {
                    missing("\(answer.node): position unknown" + (position.error.map { " (\($0))" } ?? ""))
                }
            }
        }
        let uuids = Set(usable.compactMap(\.uuid))
        if uuids.count > 1 {
            let list = usable.map { "\($0.node)=\($0.uuid ?? "?")" }.joined(separator: ", ")
            problems.append("cluster UUIDs differ (\(list)): these nodes are not one cluster")
        }
        if usable.isEmpty && problems.isEmpty { problems.append("no node has a known position") }
        guard problems.isEmpty, let best = best(of: usable) else {
            return RecoveryPlan(bootstrap: nil, others: [], problems: problems, ignored: ignored)
        }
        return RecoveryPlan(bootstrap: best.node, others: reachable.filter { $0 != best.node },
                            problems: [], ignored: ignored)
    }

    /// Highest seqno; then safe_to_bootstrap; then the first in config order (the input order).
    static func best(of positions: [GaleraPosition]) -> GaleraPosition? {
        var best: GaleraPosition?
        for position in positions {
            guard let current = best else { best = position; continue }
            let seqno = position.seqno ?? -1, currentSeqno = current.seqno ?? -1
            if seqno > currentSeqno || (seqno == currentSeqno && position.safeToBootstrap && !current.safeToBootstrap) {
                best = position
            }
        }
        return best
    }
}

/// Why a node's position could not be asked for (unreachable agent, refused call...).
public struct PlanInputError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
