import HACore

/// Whether `POST /v1/galera/bootstrap` may run: never beside a running local server (it would start
/// a second mariadbd on the datadir, or a new cluster beside the running one), never while any
/// reachable peer reports a current Primary (a new cluster beside a live one is split brain). Pure.
public enum BootstrapGuard {
    /// The reason to refuse, or nil when bootstrap may go ahead. `peers` are the other controllers'
    /// reports (nil: unreachable; unreachable peers do not block: after a full outage some may be down,
    /// and `hactl galera recover` refuses those unless `--force`).
    public static func refusal(local: ServerLiveness.Evidence, peers: [(node: String, report: GaleraReport?)],
                               statusWindow: Duration) -> String? {
        if local.running { return "the local server runs (\(local.description)); stop it first" }
        let primary = peers.compactMap { peer -> String? in
            guard let report = peer.report, report.statusIsCurrent(window: statusWindow),
                  report.wsrep?.cluster == .primary else { return nil }
            return peer.node
        }
        if !primary.isEmpty {
            return "\(primary.joined(separator: ", ")) \(primary.count == 1 ? "reports" : "report") Primary: the cluster runs; start this node instead"
        }
        return nil
    }
}
