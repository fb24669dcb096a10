import Foundation
@testable import HAAgent
import HACore
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Synchronization
import Testing

/// Issue 11: after SIGHUP the health endpoints and the VIP engine agree on the VIP set. VIP changes
/// take effect at restart, so the endpoints answer from the engine's running set.
@Suite("VIP set after reload")
struct VIPReloadTests {
    final class CapturedLog: Sendable {
        let lines = Mutex<[String]>([])
        var all: String { lines.withLock { $0.joined(separator: "\n") } }
    }

    struct Capture: LogHandler {
        let log: CapturedLog
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: " ")
            log.lines.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
        }
    }

    static func yaml(vips names: [String]) -> String {
        let vips = names.enumerated().map { index, name in
            "  - { name: \(name), vrid: \(51 + index), interface: lo, addresses: [198.18.9.\(10 + index)/32], priorities: { ctl1: 150, ctl2: 100 } }"
        }.joined(separator: "\n")
        return """
            cluster: { name: test, secret_file: cluster.key, api_port: 9780, agent_check_port: 9781 }
            controllers:
              ctl1: { address: 127.0.0.1 }
              ctl2: { address: 127.0.0.2 }
            vips:
            \(vips)

            """
    }

    @Test func endpointsAnswerFromTheRunningEngineAfterAReloadChangesTheVIPs() async throws {
        let dir = NSTemporaryDirectory() + "hactl-vip-reload-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "reload-test-secret-0123456789abcdef0123456789\n".write(toFile: dir + "/cluster.key", atomically: true, encoding: .utf8)
        chmod(dir + "/cluster.key", 0o600)
        try Self.yaml(vips: ["public", "internal"]).write(toFile: dir + "/cluster.yaml", atomically: true, encoding: .utf8)
        let config = try ClusterConfig.load(path: dir + "/cluster.yaml")
        let log = CapturedLog()
        let context = try AgentContext(config: config, node: config.controllers[0], stateDirectory: dir + "/state",
                                       registry: PrometheusCollectorRegistry(), http: HTTPClient(threads: 1),
                                       clock: ManualClock(), logger: Logger(label: "test", factory: { _ in Capture(log: log) }))
        let app = Agent(context: context).makeApplication()

        // Before the reload: both running VIPs answer (not 404), an unknown one is 404.
        try await app.test(.router) { client in
            for name in ["public", "internal"] {
                try await client.execute(uri: "/health/vip/\(name)", method: .get) { r in
                    #expect(r.status != .notFound, "\(name): \(String(buffer: r.body))")
                }
            }
        }
        // The reload removes "internal" and adds "storage".
        try Self.yaml(vips: ["public", "storage"]).write(toFile: dir + "/cluster.yaml", atomically: true, encoding: .utf8)
        #expect(context.reload())
        #expect(context.runningVIPNames == ["public", "internal"])
        #expect(context.config.vips.map(\.name) == ["public", "storage"])

        try await app.test(.router) { client in
            try await client.execute(uri: "/health/vip/storage", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(String(buffer: r.body).contains("takes effect at the next agent restart"), "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/health/vip/internal", method: .get) { r in
                #expect(r.status != .notFound, "the engine still runs internal: \(String(buffer: r.body))")
                #expect(!String(buffer: r.body).contains("not configured"))
            }
            try await client.execute(uri: "/health/vip/public", method: .get) { r in
                #expect(r.status != .notFound)
            }
            try await client.execute(uri: "/health/vip/nothing", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(String(buffer: r.body) == "no vip named nothing\n")
            }
        }
        let text = log.all
        #expect(text.contains("VIP changes take effect at the next agent restart"), "\(text)")
        #expect(text.contains("vips.added=storage"), "\(text)")
        #expect(text.contains("vips.removed=internal"), "\(text)")
    }

    @Test func removingEveryVIPKeepsTheModuleOnUntilRestart() async throws {
        let dir = NSTemporaryDirectory() + "hactl-vip-reload-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "reload-test-secret-0123456789abcdef0123456789\n".write(toFile: dir + "/cluster.key", atomically: true, encoding: .utf8)
        chmod(dir + "/cluster.key", 0o600)
        try Self.yaml(vips: ["public"]).write(toFile: dir + "/cluster.yaml", atomically: true, encoding: .utf8)
        let config = try ClusterConfig.load(path: dir + "/cluster.yaml")
        let context = try AgentContext(config: config, node: config.controllers[0], stateDirectory: dir + "/state",
                                       registry: PrometheusCollectorRegistry(), http: HTTPClient(threads: 1),
                                       clock: ManualClock(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try Self.yaml(vips: []).replacingOccurrences(of: "vips:\n", with: "").write(toFile: dir + "/cluster.yaml", atomically: true, encoding: .utf8)
        #expect(context.reload())
        #expect(context.config.vips.isEmpty)
        let verdict = ModuleHealth.verdict(HealthKey(.vip, "public"), context: context)
        #expect(verdict.reason != "vip not configured", "the engine still runs: \(verdict)")
        #expect(context.vipNotRunning("public") == nil)
    }
}
