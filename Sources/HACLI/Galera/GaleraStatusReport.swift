import Foundation
import HACore

/// The cluster's Galera view from every controller's `GET /v1/galera`: each node's verdict and wsrep
/// state, and whether the agents agree on one writer. Pure.
public struct GaleraStatusReport: Codable, Sendable, Equatable {
    public var nodes: [NodeAnswer<GaleraReport>]
    /// The writer every reachable agent designates; nil when they disagree or none is designated.
    public var writer: String?
    public var problems: [String]

    public init(answers: [(Controller, Result<GaleraReport, AgentClientError>)]) {
        nodes = NodeAnswer.all(answers)
        var problems: [String] = []
        for node in nodes {
            if let report = node.report, report.status != .passing { problems.append("\(node.node): \(report.reason)") }
            if let unreachable = node.unreachableProblem { problems.append(unreachable) }
        }
        let views = Set(nodes.compactMap { $0.report }.map { $0.writer ?? "none" })
        if views.count > 1 {
            let list = nodes.compactMap { n in n.report.map { "\(n.node) says \($0.writer ?? "none")" } }
            problems.append("agents disagree on the writer (\(list.joined(separator: ", ")))")
            writer = nil
        } else if let only = views.first, only != "none" {
            writer = only
        } else {
            writer = nil
            if !views.isEmpty { problems.append("no designated writer") }
        }
        self.problems = problems
    }

    /// 4 when a controller is unreachable, 3 when a node fails or the writer is not agreed, else 0.
    public var exitCode: Int32 { NodeAnswer.exitCode(nodes, problems: problems) }

    public func renderTable() -> String {
        var rows = [["NODE", "HEALTH", "STATE", "CLUSTER", "SIZE", "SEQNO", "RECV Q", "FLOW CTL", "WRITER"]]
        for node in nodes {
            guard let report = node.report else {
                rows.append([node.node, "unreachable", "-", "-", "-", "-", "-", "-", "-"])
                continue
            }
            // A status older than the latest result is from before the server stopped answering:
            // its state columns would lie; only the last known seqno is worth showing.
            let current = (report.statusAgeSeconds ?? .infinity) <= (report.ageSeconds ?? 0) + 0.5
            let w = current ? report.wsrep : report.wsrep.map { old in
                var kept = GaleraStatus()
                kept.lastCommitted = old.lastCommitted
                return kept
            }
            let health = report.status == .passing ? "ok" : report.reason
            // A fraction of time: anything outside 0...1 (or not finite) from an agent is shown as `?`.
            let flow = w?.flowControlPaused.map { $0.isFinite && (0...1).contains($0) ? String(format: "%.3f", $0) : "?" } ?? "-"
            rows.append([node.node, health, w?.localStateComment ?? "-", w?.clusterStatus ?? "-",
                         w?.clusterSize.map(String.init) ?? "-", w?.lastCommitted.map(String.init) ?? "-",
                         w?.localRecvQueue.map(String.init) ?? "-", flow,
                         report.writer == node.node ? "yes" : "-"])
        }
        var out = StatusReport.table(rows)
        out += "writer: \(writer ?? "none agreed")\n"
        if !problems.isEmpty { out += "problems:\n" + problems.map { "  - \($0)\n" }.joined() }
        return out
    }
}
