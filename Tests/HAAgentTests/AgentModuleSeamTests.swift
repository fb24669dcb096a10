import Foundation
import GaleraProbe
@testable import HAAgent
import HACore
import Hummingbird
import HummingbirdTesting
import Logging
import MQProbe
import ServiceLifecycle
import Testing

/// The module seam: a module known only through `AgentModule` shows up in the routes, the health
/// endpoints, `/v1/status`, the agent-check, the reload warnings, the drain answer and the service
/// order, without a line in the agent's generic files.
@Suite("Agent module seam")
struct AgentModuleSeamTests {
    /// A module the agent has never heard of: a board entry `echo`, `/health/echo`, the agent-check
    /// word `echo`, `GET /v1/echo`, a reload warning when `checks:` changes, a note on drain.
    struct EchoModule: AgentModule {
        var name = ModuleName("echo")
        var configured = true

        func isConfigured(_ context: AgentContext) -> Bool { configured }
        func services(_ context: AgentContext) -> [ModuleService] {
            [ModuleService(IdleService(label: "echo.after")), ModuleService(IdleService(label: "echo.before"), stop: .beforeServer)]
        }
        func addRoutes(_ router: Router<BasicRequestContext>, _ context: AgentContext) {
            router.get("/v1/echo") { _, _ in PlainText.response(.ok, "echo from \(context.node.name)") }
        }
        var healthEndpoints: [HealthEndpoint] { [.fixed(path: "/health/echo", key: HealthKey(name))] }
        var agentCheckWords: [AgentCheckWord] { [AgentCheckWord("echo", HealthKey(name))] }
        func status(_ context: AgentContext) -> ModuleStatus {
            configured ? ModuleStatus(name: name.rawValue, state: .ok, detail: "echoing") : sectionAbsent
        }
        func reloadWarnings(from old: ClusterConfig, to new: ClusterConfig, _ context: AgentContext) -> [ReloadWarning] {
            old.checks != new.checks ? [ReloadWarning("echo saw checks change", metadata: ["echo.checks": "\(new.checks.count)"])] : []
        }
        func drainChanged(to drained: Bool, _ context: AgentContext) async -> String? { "; echo saw drained=\(drained)" }
    }

    struct IdleService: Service {
        let label: String
        func run() async throws {}
    }

    static func withEcho(_ echo: EchoModule = EchoModule()) -> [ModuleFactory] {
        ModuleRegistry.standard + [{ _ in echo }]
    }

    func publish(_ f: Fixture, _ status: HealthStatus, _ reason: String = "") {
        f.context.board.register(name: "echo", interval: .seconds(1), at: f.clock.now)
        let last: CheckResult = status == .passing ? .passing(at: f.clock.now) : .critical(reason, at: f.clock.now)
        f.context.board.publish(name: "echo", status: status, reason: reason, last: last, interval: .seconds(1))
    }

    @Test func aNewModuleIsServedEverywhereThroughTheSeam() async throws {
        let f = try Fixture(modules: Self.withEcho())
        defer { f.cleanup() }
        let app = Agent(context: f.context).makeApplication()
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/echo", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "echo module not implemented in this build\n")
            }
            publish(f, .passing)
            try await client.execute(uri: "/health/echo", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == "ok\n")
            }
            #expect(AgentCheckAnswer.answer("echo\n", context: f.context) == ("echo", "up"))
            publish(f, .critical, "echo broke")
            try await client.execute(uri: "/health/echo", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "echo broke\n")
            }
            #expect(AgentCheckAnswer.answer("ECHO", context: f.context) == ("echo", "down #echo broke"))
            try await client.execute(uri: "/v1/echo", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == "echo from ctl1\n")
            }
            try await client.execute(uri: "/v1/status", method: .get) { r in
                let s = try JSONDecoder().decode(NodeStatus.self, from: Data(buffer: r.body))
                #expect(s.modules.map(\.name) == ["vip", "galera", "rabbitmq", "compute", "echo"])
                #expect(s.modules.last == ModuleStatus(name: "echo", state: .ok, detail: "echoing"))
            }
            try await client.execute(uri: "/v1/node/drain", method: .post,
                                     headers: [.authorization: f.signed("/v1/node/drain")]) { r in
                let result = try JSONDecoder().decode(AdminResult.self, from: Data(buffer: r.body))
                #expect(result == AdminResult(node: "ctl1", ok: true, message: "drained; echo saw drained=true"))
            }
        }
        #expect(AgentCheckAnswer.words(f.context) == ["node", "galera", "galera-writer", "rabbitmq", "echo"])
    }

    @Test("probeStatus: no result yet, then the failing reason, then ok with the module's detail")
    func probeStatusFollowsTheBoard() throws {
        let f = try Fixture(modules: Self.withEcho())
        defer { f.cleanup() }
        let echo = EchoModule()
        let key = HealthKey(echo.name)
        var detailReads = 0
        let read = { echo.probeStatus(key, f.context) { detailReads += 1; return "3 echoes" } }
        #expect(read() == ModuleStatus(name: "echo", state: .degraded, detail: "no result yet"))
        publish(f, .critical, "echo broke")
        #expect(read() == ModuleStatus(name: "echo", state: .degraded, detail: "echo broke"))
        #expect(detailReads == 0, "the detail is read only for a passing entry")
        publish(f, .passing)
        #expect(read() == ModuleStatus(name: "echo", state: .ok, detail: "3 echoes"))
        #expect(detailReads == 1)
    }

    @Test func anUnconfiguredModuleSaysSoOnEveryPath() async throws {
        let f = try Fixture(modules: Self.withEcho(EchoModule(configured: false)))
        defer { f.cleanup() }
        publish(f, .passing)
        try await Agent(context: f.context).makeApplication().test(.router) { client in
            try await client.execute(uri: "/health/echo", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "echo not configured\n")
            }
        }
        #expect(AgentCheckAnswer.answer("echo", context: f.context) == ("echo", "down #echo not configured"))
        #expect(StatusBuilder.modules(f.context).last == ModuleStatus(name: "echo", state: .off, detail: "section absent"))
        // Words no module registered stay unknown.
        #expect(AgentCheckAnswer.answer("compute", context: f.context) == ("unknown", "down #unknown service"))
    }

    @Test func aModuleRunsItsServicesOnEitherSideOfTheHTTPServer() throws {
        let f = try Fixture(modules: Self.withEcho())
        defer { f.cleanup() }
        let services = Agent(context: f.context).makeServices(addresses: ["127.0.0.1"])
        let labels = services.map { service in
            (service as? IdleService)?.label ?? String(describing: type(of: service)).split(separator: "<").first.map(String.init) ?? ""
        }
        #expect(labels == ["CheckService", "ConfigReloader", "AgentCheckServer", "echo.after", "BoundedDrain", "echo.before"])
    }

    @Test func aReloadLogsWhatEachModuleSaysAboutIt() throws {
        let log = VIPReloadTests.CapturedLog()
        let f = try Fixture(modules: Self.withEcho(),
                            logger: Logger(label: "test", factory: { _ in VIPReloadTests.Capture(log: log) }))
        defer { f.cleanup() }
        let yaml = try String(contentsOfFile: f.dir + "/cluster.yaml", encoding: .utf8)
        try (yaml + "\nchecks:\n  db: { tcp: 127.0.0.1:9, interval: 1s, timeout: 500ms }\n")
            .write(toFile: f.dir + "/cluster.yaml", atomically: true, encoding: .utf8)
        #expect(f.context.reload())
        #expect(log.all.contains("warning echo saw checks change echo.checks=1"), "\(log.all)")
    }

    @Test func twoModulesWithOneNameAreRefused() throws {
        #expect(throws: AgentError.self) { try ModuleRegistry([EchoModule(), EchoModule(configured: false)]) }
        do {
            _ = try Fixture(modules: Self.withEcho(EchoModule(name: .vip)))
            Issue.record("a second module named vip was registered")
        } catch let error as AgentError {
            #expect(error.description == "vip module cannot start: registered twice")
        }
    }

    @Test func healthKeysAreTheBoardKeysTheModulesPublish() {
        #expect(GaleraModule.probeKey.boardKey == GaleraMonitor.checkName)
        #expect(GaleraModule.writerKey.boardKey == GaleraWriterTracker.checkName)
        #expect(RabbitMQModule.probeKey.boardKey == MQMonitor.checkName)
        #expect(HealthKey(.vip, "public").boardKey == "vip.public")
    }

    /// The agent's generic files (everything outside `Sources/HAAgent/Modules/`) reach modules only
    /// through the seam: none imports a module target.
    @Test func genericFilesImportNoModule() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let agent = root.appendingPathComponent("Sources/HAAgent")
        let files = try FileManager.default.contentsOfDirectory(atPath: agent.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 15, "the generic files: \(files)")
        for file in files {
            let text = try String(contentsOf: agent.appendingPathComponent(file), encoding: .utf8)
            for module in ["VIPManager", "GaleraProbe", "MQProbe", "ComputeHA"] {
                #expect(!text.contains("import \(module)"), "\(file) imports \(module)")
            }
        }
    }
}
