/// The agent's modules, in the order `/v1/status` lists them and the agent starts them; each name
/// once.
public struct ModuleRegistry: Sendable {
    public let all: [any AgentModule]

    /// Refuses two modules with the same name (their health keys and routes would collide).
    public init(_ modules: [any AgentModule]) throws(AgentError) {
        var seen: Set<ModuleName> = []
        for module in modules where !seen.insert(module.name).inserted {
            throw .module(name: module.name.rawValue, message: "registered twice")
        }
        all = modules
    }

    /// The modules this build ships, in `/v1/status` order. A new module is one line here.
    public static let standard: [ModuleFactory] = [
        { VIPModule($0) },
        { GaleraModule($0) },
        { RabbitMQModule($0) },
        { ComputeModule($0) },
    ]

    public subscript(name: ModuleName) -> (any AgentModule)? { all.first { $0.name == name } }

    /// The module of type `M`, when one is registered.
    public func first<M: AgentModule>(_ type: M.Type) -> M? {
        for module in all { if let match = module as? M { return match } }
        return nil
    }

    /// The key behind an agent-check word, when a module answers it.
    func agentCheckKey(for word: String) -> HealthKey? {
        for module in all { if let match = module.agentCheckWords.first(where: { $0.word == word }) { return match.key } }
        return nil
    }
}
