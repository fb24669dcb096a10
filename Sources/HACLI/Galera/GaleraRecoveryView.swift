import HACore

/// The positions table and the plan as `hactl galera recover` prints them. Pure.
struct GaleraRecoveryView {
    struct Row: Codable {
        var node: String
        var reachable: Bool
        var error: String?
        var position: GaleraPosition?
    }

    var rows: [Row]
    var plan: RecoveryPlan

    init(answers: [(Controller, Result<GaleraPosition, AgentClientError>)], plan: RecoveryPlan) {
        rows = answers.map { controller, result in
            switch result {
            case .success(let p): Row(node: controller.name, reachable: true, error: nil, position: p)
            case .failure(let e): Row(node: controller.name, reachable: false, error: e.description, position: nil)
            }
        }
        self.plan = plan
    }

    func render(apply: Bool) -> String {
        var table = [["NODE", "SERVER", "UUID", "SEQNO", "SAFE_TO_BOOTSTRAP", "FROM"]]
        for row in rows {
            guard let p = row.position else {
                table.append([row.node, "unreachable", "-", "-", "-", "-"])
                continue
            }
            let server = p.running ? "running (\(p.clusterStatus ?? "?"))" : "stopped"
            table.append([row.node, server, p.uuid ?? "-", p.seqno.map(String.init) ?? "unknown",
                          p.safeToBootstrap ? "1" : "0", p.error.map { "\(p.source.rawValue): \($0)" } ?? p.source.rawValue])
        }
        var out = StatusReport.table(table)
        for line in plan.ignored { out += "ignored (--force): \(line)\n" }
        if let bootstrap = plan.bootstrap {
            let then = plan.others.isEmpty ? "" : ", then start \(plan.others.joined(separator: ", "))"
            out += "plan: bootstrap \(bootstrap) (highest seqno)\(then)\n"
            if !apply { out += "run again with --apply to do it\n" }
        } else {
            out += "refused:\n" + plan.problems.map { "  - \($0)\n" }.joined()
        }
        return out
    }
}
