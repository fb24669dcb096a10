import Foundation
import HACore

/// The cluster's view of every VIP, from each controller's `GET /v1/vip`. Pure.
public struct VIPReport: Codable, Sendable, Equatable {
    public struct NodeView: Codable, Sendable, Equatable {
        public var node: String
        public var reachable: Bool
        public var error: String?
        public var status: VIPStatus?
    }
    public struct VIPView: Codable, Sendable, Equatable {
        public var name: String
        /// The controllers that say they are master (healthy: exactly one).
        public var masters: [String]
        /// When no reachable controller says it is master but the backups agree on a master address
        /// (a keepalived peer during a migration, or a controller whose API is unreachable): that
        /// address, with the controller's name when it is one.
        public var externalMaster: String?
        public var nodes: [NodeView]
    }

    public var vips: [VIPView]
    public var problems: [String]

    public init(vipNames: [String], answers: [(Controller, Result<[VIPStatus], AgentClientError>)]) {
        vips = vipNames.map { name in
            let nodes = answers.map { controller, result -> NodeView in
                switch result {
                case .success(let list):
                    NodeView(node: controller.name, reachable: true, error: nil, status: list.first { $0.name == name })
                case .failure(let error):
                    NodeView(node: controller.name, reachable: false, error: error.description, status: nil)
                }
            }
            let masters = nodes.filter { $0.status?.role == .master }.map(\.node)
            let seen = Set(nodes.compactMap { $0.status?.role == .backup ? $0.status?.master : nil })
            let external = masters.isEmpty && seen.count == 1 ? seen.first.map { address in
                answers.first { $0.0.address.description == address }.map { "\(address) (\($0.0.name), API unreachable)" }
                    ?? "\(address) (not an hactl agent)"
            } : nil
            return VIPView(name: name, masters: masters, externalMaster: external, nodes: nodes)
        }
        var problems: [String] = []
        for vip in vips {
            if vip.masters.isEmpty && vip.externalMaster == nil { problems.append("\(vip.name): no master") }
            if vip.masters.count > 1 { problems.append("\(vip.name): several masters (\(vip.masters.joined(separator: ", ")))") }
            for node in vip.nodes where node.status?.role == .fault {
                problems.append("\(vip.name): \(node.node) in fault (\(node.status?.priorityReasons.joined(separator: ", ") ?? ""))")
            }
        }
        for (controller, result) in answers { if case .failure(let e) = result { problems.append("\(controller.name) unreachable: \(e)") } }
        self.problems = problems
    }

    /// 4 when a controller is unreachable, 3 when a VIP has no master, several, or a node in fault.
    public var exitCode: Int32 {
        if vips.contains(where: { $0.nodes.contains { !$0.reachable } }) { return 4 }
        return problems.isEmpty ? 0 : 3
    }

    public func renderTable(now: Double = Date().timeIntervalSince1970) -> String {
        var rows = [["VIP", "NODE", "STATE", "PRIORITY", "LAST TRANSITION"]]
        for vip in vips {
            for node in vip.nodes {
                guard let s = node.status else {
                    rows.append([vip.name, node.node, node.reachable ? "-" : "unreachable", "-", "-"]); continue
                }
                var priority = "\(s.priority)"
                if s.priority != s.basePriority || !s.priorityReasons.isEmpty {
                    priority += " (base \(s.basePriority)\(s.priorityReasons.isEmpty ? "" : "; " + s.priorityReasons.joined(separator: ", ")))"
                }
                let last = s.lastTransition.map { "\($0.from)->\($0.to) \(UntrustedNumber.seconds(now - $0.at))s ago: \($0.reason)" } ?? "-"
                rows.append([vip.name, node.node, s.state, priority, last])
            }
        }
        var out = StatusReport.table(rows)
        for vip in vips {
            let master = !vip.masters.isEmpty ? vip.masters.joined(separator: ", ")
                : vip.externalMaster ?? "none"
            out += "\(vip.name): master \(master)\n"
        }
        if !problems.isEmpty { out += "problems:\n" + problems.map { "  - \($0)\n" }.joined() }
        return out
    }
}
