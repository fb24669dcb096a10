import HACore
import Hummingbird
import Logging
import ServiceLifecycle

/// One module of the agent (VIP, Galera, RabbitMQ, ...) as the agent's generic parts see it: its
/// name, the services it runs, its routes, its `/v1/status` section, its health endpoints, the
/// agent-check words it answers, what a reload of its config section means and what a drain does.
///
/// The generic files (`Agent`, `AgentContext`, `APIRoutes`, `StatusBuilder`, `ModuleHealth`,
/// `AgentCheckAnswer`) iterate the registered modules and name none; a new module is one
/// conformance plus one line in ``ModuleRegistry/standard``. A module is registered whether or not
/// its config section is present: absent, it still answers (`section absent`, `... not configured`).
///
/// Every requirement is called on whatever task serves the request or runs the agent; a conformance
/// keeps its mutable state behind its own actor or Mutex.
public protocol AgentModule: Sendable {
    /// The stable name: `/v1/status`'s `modules[].name`, the first part of its health keys.
    var name: ModuleName { get }

    /// Whether its health endpoints and agent-check words answer from the board, judged on the
    /// running config (`false`: they answer `NAME not configured`).
    func isConfigured(_ context: AgentContext) -> Bool

    /// The services it runs in the agent's ServiceGroup (empty when its section is absent).
    func services(_ context: AgentContext) -> [ModuleService]

    /// Its `/v1/...` routes (read-only reports and signed admin calls).
    func addRoutes(_ router: Router<BasicRequestContext>, _ context: AgentContext)

    /// The `GET /health/...` endpoints it answers (served through ``ModuleHealth``).
    var healthEndpoints: [HealthEndpoint] { get }

    /// The HAProxy agent-check words it answers, each with the health key behind it.
    var agentCheckWords: [AgentCheckWord] { get }

    /// Its section of `GET /v1/status`.
    func status(_ context: AgentContext) -> ModuleStatus

    /// The health verdict for one of its keys, once ``isConfigured(_:)`` holds. Default: the board
    /// entry, or `NAME module not implemented in this build` when it has none.
    func health(_ key: HealthKey, _ context: AgentContext) -> (ok: Bool, reason: String)

    /// What a reload that changes its config means, as warnings to log (the change itself takes
    /// effect at the next restart unless the module says otherwise). Default: none.
    func reloadWarnings(from old: ClusterConfig, to new: ClusterConfig, _ context: AgentContext) -> [ReloadWarning]

    /// Sets its gauges at scrape time from its snapshots. Default: nothing.
    func refreshGauges(_ context: AgentContext)

    /// Called after the node's drain flag changed (`POST /v1/node/drain|resume`); what it returns is
    /// appended to the admin answer's message. Default: nothing.
    func drainChanged(to drained: Bool, _ context: AgentContext) async -> String?

    /// Called once, when the context that holds the module is complete (for callbacks into it).
    func attach(to context: AgentContext)
}

extension AgentModule {
    public func health(_ key: HealthKey, _ context: AgentContext) -> (ok: Bool, reason: String) {
        ModuleHealth.boardVerdict(key, context, missing: "\(name) module not implemented in this build")
    }
    public func reloadWarnings(from old: ClusterConfig, to new: ClusterConfig, _ context: AgentContext) -> [ReloadWarning] { [] }
    public func refreshGauges(_ context: AgentContext) {}
    public func drainChanged(to drained: Bool, _ context: AgentContext) async -> String? { nil }
    public func attach(to context: AgentContext) {}

    /// `/v1/status` for a module whose section is absent.
    public var sectionAbsent: ModuleStatus { ModuleStatus(name: name.rawValue, state: .off, detail: "section absent") }

    /// `/v1/status` for a module behind one probe's board entry `key`: degraded with `no result yet`
    /// or the entry's reason while it is not passing; `ok` with `detail()` (read only then) when it is.
    public func probeStatus(_ key: HealthKey, _ context: AgentContext, detail: () -> String) -> ModuleStatus {
        guard let entry = context.board.read(key.boardKey, now: context.clock.now) else {
            return ModuleStatus(name: name.rawValue, state: .degraded, detail: "no result yet")
        }
        guard entry.status == .passing else { return ModuleStatus(name: name.rawValue, state: .degraded, detail: entry.reason) }
        return ModuleStatus(name: name.rawValue, state: .ok, detail: detail())
    }
}

/// A module's stable name. Not an enum, so a module (or a test) can add one without touching a
/// shared list; the known ones are constants.
public struct ModuleName: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let vip = ModuleName("vip")
    public static let galera = ModuleName("galera")
    public static let rabbitmq = ModuleName("rabbitmq")
    public static let compute = ModuleName("compute")
}

/// A health entry of a module: the module and, for a module with several, which one (`galera` +
/// `writer`, `vip` + the VIP's name). Its board key is `module` or `module.entry`.
public struct HealthKey: Hashable, Sendable, CustomStringConvertible {
    public let module: ModuleName
    public let entry: String?

    public init(_ module: ModuleName, _ entry: String? = nil) {
        self.module = module
        self.entry = entry
    }

    /// The key on the ``HealthBoard``.
    public var boardKey: String { entry.map { "\(module.rawValue).\($0)" } ?? module.rawValue }
    public var description: String { boardKey }
}

/// One `GET /health/...` endpoint of a module.
public enum HealthEndpoint: Sendable {
    /// A fixed path answering for one key (`/health/galera` -> `galera`).
    case fixed(path: String, key: HealthKey)
    /// `prefix/:name`: `resolve` maps the name to a key, or to the text of a `404`.
    case named(prefix: String, resolve: @Sendable (_ name: String, _ context: AgentContext) -> Result<HealthKey, NotFound>)

    /// Why a named endpoint has no answer (the body of its `404`).
    public struct NotFound: Error, Sendable {
        public let message: String
        public init(_ message: String) { self.message = message }
    }
}

/// An HAProxy agent-check request word (`agent-send "galera\n"`) and the key it answers for.
public struct AgentCheckWord: Sendable, Equatable {
    public let word: String
    public let key: HealthKey
    public init(_ word: String, _ key: HealthKey) {
        self.word = word
        self.key = key
    }
}

/// A service a module runs, and where it sits in the agent's stop order.
public struct ModuleService: Sendable {
    public enum Stop: Sendable {
        /// Stops after the HTTP server (probes: the health endpoints answer until the end).
        case afterServer
        /// Stops before the HTTP server (the VIP handover: peers are called while HAProxy still
        /// reads our endpoints).
        case beforeServer
    }

    public let service: any Service
    public let stop: Stop

    public init(_ service: any Service, stop: Stop = .afterServer) {
        self.service = service
        self.stop = stop
    }
}

/// One warning a reload logs for a module.
public struct ReloadWarning: Sendable {
    public let message: Logger.Message
    public let metadata: Logger.Metadata
    public init(_ message: Logger.Message, metadata: Logger.Metadata = [:]) {
        self.message = message
        self.metadata = metadata
    }
}

/// What a module is built from: the shared pieces of the agent, before the context exists.
public struct ModuleEnvironment: Sendable {
    public let config: ClusterConfig
    public let node: Controller
    public let board: HealthBoard
    public let nodeState: NodeStateStore
    public let clock: any HAClock
    public let wallClock: any WallClock
    public let logger: Logger
}

/// Builds one module (registered with ``AgentContext``; see ``ModuleRegistry/standard``).
public typealias ModuleFactory = @Sendable (ModuleEnvironment) -> any AgentModule
