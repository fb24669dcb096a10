import Foundation
import HACore

/// The cluster view of `hactl status`: every controller's `/v1/status`, or why it could not be had.
/// Pure: rendering and the exit code depend only on the collected answers.
public struct StatusReport: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var node: String
        public var address: String
        public var reachable: Bool
        public var error: String?
        public var status: NodeStatus?
    }

    public var cluster: String
    public var healthy: Bool
    public var problems: [String]
    public var controllers: [Entry]

    public init(cluster: String, answers: [(Controller, Result<NodeStatus, AgentClientError>)]) {
        self.cluster = cluster
        controllers = answers.map { controller, result in
            switch result {
            case .success(let status):
                Entry(node: controller.name, address: controller.address.description, reachable: true, error: nil, status: status)
            case .failure(let error):
                Entry(node: controller.name, address: controller.address.description, reachable: false,
                      error: error.description, status: nil)
            }
        }
        problems = controllers.flatMap { entry in
            entry.status?.problems ?? ["\(entry.node) unreachable: \(entry.error ?? "")"]
        }
        healthy = problems.isEmpty
    }

    /// SPEC §2: 4 when a controller cannot be reached, 3 when degraded, else 0.
    public var exitCode: Int32 {
        if controllers.contains(where: { !$0.reachable }) { return 4 }
        return healthy ? 0 : 3
    }

    public func renderTable() -> String {
        let header = ["NODE", "ADDRESS", "AGENT", "SERVICE", "UPTIME", "CHECKS", "VIP", "GALERA", "RABBITMQ", "COMPUTE"]
        var rows = [header]
        for entry in controllers {
            guard let s = entry.status else {
                rows.append([entry.node, entry.address, "unreachable", "-", "-", "-", "-", "-", "-", "-"])
                continue
            }
            let passing = s.checks.filter { $0.status == .passing }.count
            let checks = s.checks.isEmpty ? "-" : "\(passing)/\(s.checks.count) ok"
            func module(_ name: String) -> String { s.modules.first { $0.name == name }?.state.rawValue ?? "-" }
            rows.append([entry.node, entry.address, s.version, s.drained ? "drained" : "up", Self.formatUptime(s.uptimeSeconds),
                         checks, module("vip"), module("galera"), module("rabbitmq"), module("compute")])
        }
        var out = "cluster \(cluster): \(controllers.filter(\.reachable).count)/\(controllers.count) controllers reachable, "
            + (healthy ? "healthy" : "degraded") + "\n"
        out += Self.table(rows)
        if !problems.isEmpty {
            out += "problems:\n" + problems.map { "  - \($0)\n" }.joined()
        }
        return out
    }

    public func renderJSON() throws -> String { try CLIJSON.encode(self) }

    static func table(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { col in rows.map { $0[col].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { $0 == row.count - 1 ? row[$0] : row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func formatUptime(_ seconds: Double) -> String {
        let s = UntrustedNumber.seconds(seconds)   // a peer's number: never trap on 1e300
        if s < 120 { return "\(s)s" }
        if s < 7200 { return "\(s / 60)m" }
        if s < 172_800 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }
}
