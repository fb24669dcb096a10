import HACore
import Hummingbird

/// The compute module's place (`compute:`): this build does not implement it yet, so it only says
/// whether the section is there. ComputeHA replaces this conformance.
struct ComputeModule: AgentModule {
    let name = ModuleName.compute

    init(_ environment: ModuleEnvironment) {}

    func isConfigured(_ context: AgentContext) -> Bool { context.config.compute != nil }
    func services(_ context: AgentContext) -> [ModuleService] { [] }
    func addRoutes(_ router: Router<BasicRequestContext>, _ context: AgentContext) {}
    var healthEndpoints: [HealthEndpoint] { [] }
    var agentCheckWords: [AgentCheckWord] { [] }

    func status(_ context: AgentContext) -> ModuleStatus {
        isConfigured(context)
            ? ModuleStatus(name: name.rawValue, state: .notImplemented, detail: "configured; not implemented in this build")
            : sectionAbsent
    }
}
