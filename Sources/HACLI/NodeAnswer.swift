import HACore

/// One controller's answer in a per-node report (`galera status`, `rabbitmq status`): its report,
/// or why there is none. Stable JSON: `node`, `reachable`, `error`, `report`.
public struct NodeAnswer<Report: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var node: String
    public var reachable: Bool
    public var error: String?
    public var report: Report?

    /// Every controller's answer, config order kept.
    static func all(_ answers: [(Controller, Result<Report, AgentClientError>)]) -> [NodeAnswer] {
        answers.map { controller, result in
            switch result {
            case .success(let report): NodeAnswer(node: controller.name, reachable: true, error: nil, report: report)
            case .failure(let error): NodeAnswer(node: controller.name, reachable: false, error: error.description, report: nil)
            }
        }
    }

    /// 4 when a controller is unreachable, 3 when there are problems, else 0 (SPEC §2).
    static func exitCode(_ nodes: [NodeAnswer], problems: [String]) -> Int32 {
        if nodes.contains(where: { !$0.reachable }) { return ExitStatus.unreachable }
        return problems.isEmpty ? ExitStatus.ok : ExitStatus.degraded
    }

    /// `unreachable: ...` for a node without a report; nil otherwise.
    var unreachableProblem: String? { error.map { "\(node) unreachable: \($0)" } }
}
