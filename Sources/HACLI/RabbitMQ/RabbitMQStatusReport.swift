import Foundation
import HACore

/// The cluster's RabbitMQ view from every controller's `GET /v1/rabbitmq`. Pure.
public struct RabbitMQStatusReport: Codable, Sendable, Equatable {
    public var nodes: [NodeAnswer<MQReport>]
    public var problems: [String]

    public init(answers: [(Controller, Result<MQReport, AgentClientError>)]) {
        nodes = NodeAnswer.all(answers)
        var problems: [String] = []
        for node in nodes {
            if let report = node.report, report.status != .passing { problems.append("\(node.node): \(report.reason)") }
            if let unreachable = node.unreachableProblem { problems.append(unreachable) }
        }
        // Passing nodes that see different sets of running nodes are in different partitions.
        let views = Set(nodes.compactMap { n -> String? in
            guard let r = n.report, r.status == .passing, let cluster = r.rabbitmq?.clusterNodes else { return nil }
            return Self.running(cluster)
        })
        if views.count > 1 { problems.append("nodes disagree on who runs: " + views.sorted().joined(separator: " vs ")) }
        self.problems = problems
    }

    static func running(_ cluster: [MQClusterNode]) -> String {
        cluster.filter(\.running).map(\.name).sorted().joined(separator: ",")
    }

    /// 4 when a controller is unreachable, 3 when a node fails or the views disagree, else 0.
    public var exitCode: Int32 { NodeAnswer.exitCode(nodes, problems: problems) }

    public func renderTable() -> String {
        var rows = [["NODE", "BROKER", "HEALTH", "RUNNING", "PARTITIONS", "ALARMS", "CRITICAL", "ROUND TRIP", "FD", "CLUSTER (running)"]]
        for node in nodes {
            guard let report = node.report else {
                rows.append([node.node, "-", "unreachable", "-", "-", "-", "-", "-", "-", "-"])
                continue
            }
            let s = report.rabbitmq
            let critical = [s?.quorumCritical.flatMap { $0.ok ? nil : "quorum" },
                            s?.mirrorSyncCritical.flatMap { $0.ok ? nil : "mirror-sync" }].compactMap { $0 }
            let cluster = s?.clusterNodes.map { nodes in "\(nodes.filter(\.running).count)/\(nodes.count): " + Self.running(nodes) }
            rows.append([
                node.node, report.rabbitNode, report.status == .passing ? "ok" : report.reason,
                s?.running.map { $0 ? "yes" : "no" } ?? "-",
                s?.partitions.map { $0.isEmpty ? "none" : $0.joined(separator: ",") } ?? "-",
                s?.alarms.map { $0.isEmpty ? "none" : $0.joined(separator: ",") } ?? "-",
                s?.quorumCritical == nil && s?.mirrorSyncCritical == nil ? "-" : (critical.isEmpty ? "none" : critical.joined(separator: ",")),
                s?.roundTripMs.map { String(format: "%.2f ms", $0) } ?? "-",
                s?.fdUsed.flatMap { used in s?.fdTotal.map { "\(used)/\($0)" } } ?? "-",
                cluster ?? "-",
            ])
        }
        var out = StatusReport.table(rows)
        if !problems.isEmpty { out += "problems:\n" + problems.map { "  - \($0)\n" }.joined() }
        return out
    }
}
