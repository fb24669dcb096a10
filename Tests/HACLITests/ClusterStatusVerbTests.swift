import Foundation
@testable import HACLI
import HACore
import Testing

/// The four status verbs share one shape (`ClusterStatusVerb`); each report says which section it
/// needs and builds itself from the config and the answers exactly as before.
@Suite("cluster status verb")
struct ClusterStatusVerbTests {
    /// A config whose secret files exist (mode 0600) in a fresh directory.
    static func config(galera: Bool = false, rabbitmq: Bool = false) throws -> ClusterConfig {
        let dir = NSTemporaryDirectory() + "hactl-cli-verb-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for file in ["cluster.key", "galera.pass", "rabbit.pass"] {
            try "verb-test-secret-0123456789abcdef0123456789abcdef".write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
            chmod(dir + "/" + file, 0o600)
        }
        var yaml = """
            cluster: { name: c, secret_file: cluster.key }
            controllers:
              ctl1: { address: 198.18.0.11 }
              ctl2: { address: 198.18.0.12 }
            vips:
              - { name: public, vrid: 51, interface: eth0, addresses: [198.18.0.10/24], priorities: { ctl1: 150, ctl2: 100 } }

            """
        if galera { yaml += "galera: { user: hactl, password_file: galera.pass }\n" }
        if rabbitmq { yaml += "rabbitmq: { amqp: { user: hactl, password_file: rabbit.pass } }\n" }
        return try ClusterConfig.parse(yaml, path: dir + "/cluster.yaml")
    }

    @Test func eachVerbNamesTheSectionItNeeds() throws {
        let bare = try Self.config()
        #expect(StatusReport.missingSection(bare) == nil)
        #expect(VIPReport.missingSection(bare) == nil)
        #expect(GaleraStatusReport.missingSection(bare) == "galera: the config has no galera section")
        #expect(RabbitMQStatusReport.missingSection(bare) == "rabbitmq: the config has no rabbitmq section")
        let full = try Self.config(galera: true, rabbitmq: true)
        #expect(GaleraStatusReport.missingSection(full) == nil)
        #expect(RabbitMQStatusReport.missingSection(full) == nil)
    }

    @Test func reportsBuildFromTheConfigAsTheirVerbsDidBefore() throws {
        let config = try Self.config()
        let down = config.controllers.map { ($0, Result<NodeStatus, AgentClientError>.failure(.badResponse(node: $0.name, message: "x"))) }
        let status = StatusReport(config: config, answers: down)
        #expect(status == StatusReport(cluster: "c", answers: down))
        #expect(status.exitCode == ExitStatus.unreachable)

        let master = VIPStatus(name: "public", vrid: 51, state: "master", priority: 150, basePriority: 150, master: nil,
                               pinned: false, priorityReasons: [], lastTransition: nil, advertsSent: 1, advertsReceived: 0,
                               dropped: [:])
        var backup = master
        backup.state = "backup"
        let answers: [(Controller, Result<[VIPStatus], AgentClientError>)] = [
            (config.controllers[0], .success([master])), (config.controllers[1], .success([backup]))]
        let vips = VIPReport(config: config, answers: answers)
        #expect(vips == VIPReport(vipNames: ["public"], answers: answers))
        #expect(vips.vips.map(\.masters) == [["ctl1"]])
        #expect(vips.exitCode == ExitStatus.ok)
        #expect(vips.renderTable().hasPrefix(vips.renderTable(now: 0).prefix { $0 != "\n" }))
    }
}
