import HACore
import Hummingbird
import VIPManager

/// The VIP module: the VRRP engine (`vips:`), `/health/vip/NAME`, `/v1/vip` and the takeover calls,
/// the loss-free handover at stop and on drain. VIP changes take effect at the next restart: the
/// engine and the endpoints keep the VIPs the agent started with.
struct VIPModule: AgentModule {
    let name = ModuleName.vip
    /// The engine when `vips:` was configured at start.
    let engine: VRRPEngine?

    init(_ environment: ModuleEnvironment) {
        let config = environment.config, nodeState = environment.nodeState
        engine = config.vips.isEmpty ? nil : VRRPEngine(
            vips: config.vips, node: environment.node, controllers: config.controllers, board: environment.board,
            drained: { nodeState.drained }, logger: environment.logger, clock: environment.clock,
            wallClock: environment.wallClock)
    }

    /// The running engine, not the reloaded config: VIP changes take effect at restart.
    func isConfigured(_ context: AgentContext) -> Bool { engine != nil }

    func services(_ context: AgentContext) -> [ModuleService] {
        // Stops first: the VIPs are handed over while HAProxy still reads our health endpoints.
        engine.map { [ModuleService(VIPService(context: context, engine: $0), stop: .beforeServer)] } ?? []
    }

    func addRoutes(_ router: Router<BasicRequestContext>, _ context: AgentContext) { VIPRoutes.add(router, context) }

    var healthEndpoints: [HealthEndpoint] {
        [.named(prefix: "/health/vip") { vip, context in
            // The engine's running set, not the reloaded config (VIP changes take effect at restart).
            if let missing = Self.notRunning(vip, context) { return .failure(.init(missing)) }
            return .success(HealthKey(.vip, vip))
        }]
    }

    var agentCheckWords: [AgentCheckWord] { [] }

    func status(_ context: AgentContext) -> ModuleStatus {
        guard let engine else { return sectionAbsent }
        let vips = engine.status()
        let detail = vips.map { "\($0.name)=\($0.state)(\($0.priority))" }.joined(separator: " ")
        let faulted = vips.filter { $0.role == .fault }
        return ModuleStatus(name: name.rawValue, state: faulted.isEmpty ? .ok : .degraded,
                            detail: faulted.isEmpty ? detail : "fault: " + faulted.map { "\($0.name) (\($0.priorityReasons.joined(separator: ", ")))" }.joined(separator: "; "))
    }

    func reloadWarnings(from old: ClusterConfig, to new: ClusterConfig, _ context: AgentContext) -> [ReloadWarning] {
        guard old.vips != new.vips else { return [] }
        // The endpoints keep answering from the engine's running set (see `notRunning`).
        let names = runningNames
        let running = Set(names), wanted = Set(new.vips.map(\.name))
        return [ReloadWarning("vips changed: VIP changes take effect at the next agent restart; until then the engine and the endpoints keep the running VIPs", metadata: [
            "vips.running": .string(names.joined(separator: ",")),
            "vips.added": .string(wanted.subtracting(running).sorted().joined(separator: ",")),
            "vips.removed": .string(running.subtracting(wanted).sorted().joined(separator: ","))])]
    }

    /// A drain also gives away the VIPs this node holds (loss-free, see `VIPHandover`) before the
    /// admin call answers.
    func drainChanged(to drained: Bool, _ context: AgentContext) async -> String? {
        guard let engine else { return nil }
        engine.reevaluate()
        guard drained else { return nil }
        let held = Self.masters(engine)
        await VIPHandover.giveAway(context, engine: engine, reason: "node drained")
        let still = Self.masters(engine)
        guard !held.isEmpty else { return nil }
        return still.isEmpty ? "; handed over \(held.joined(separator: ", "))"
            : "; still master of \(still.joined(separator: ", ")) (no peer took over)"
    }

    static func masters(_ engine: VRRPEngine) -> [String] {
        engine.status().filter { $0.role == .master }.map(\.name)
    }

    /// The VIPs the engine runs: those of the config the agent started with, whatever a SIGHUP
    /// loaded since. `/health/vip/NAME`, `/v1/vip` and `/v1/status` answer for these.
    var runningNames: [String] { engine?.vipNames ?? [] }

    /// Why `/health/vip/NAME` has no answer (a 404), or nil when the engine runs `name`.
    static func notRunning(_ name: String, _ context: AgentContext) -> String? {
        if context.runningVIPNames.contains(name) { return nil }
        if context.config.vips.contains(where: { $0.name == name }) {
            return "vip \(name) is in the reloaded config but not running: it takes effect at the next agent restart"
        }
        return "no vip named \(name)"
    }
}

extension AgentContext {
    /// The VIP engine when `vips:` was configured at start.
    public var vip: VRRPEngine? { modules.first(VIPModule.self)?.engine }

    /// The VIPs the engine runs (see ``VIPModule/runningNames``).
    public var runningVIPNames: [String] { modules.first(VIPModule.self)?.runningNames ?? [] }

    /// Why `/health/vip/NAME` has no answer (a 404), or nil when the engine runs `name`.
    public func vipNotRunning(_ name: String) -> String? { VIPModule.notRunning(name, self) }
}
