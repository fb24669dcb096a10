import ArgumentParser
import Foundation
import HACore

/// A cluster view built from every controller's answer to one read-only call: the report behind a
/// status verb (`hactl status`, `vip status`, `galera status`, `rabbitmq status`). Pure: rendering
/// and the exit code depend only on the answers.
/// `SendableMetatype`: `fetch` is called through the type from the concurrent per-controller tasks.
protocol ClusterStatusReport: Encodable, SendableMetatype {
    associatedtype Answer: Sendable

    /// Why the verb cannot run with this config (a section it needs is absent), or nil.
    static func missingSection(_ config: ClusterConfig) -> String?
    /// Asks one controller's agent.
    static func fetch(_ controller: Controller, _ client: AgentClient) async throws(AgentClientError) -> Answer

    init(config: ClusterConfig, answers: [(Controller, Result<Answer, AgentClientError>)])
    func renderTable() -> String
    /// SPEC §2: 0 healthy, 3 degraded, 4 a controller could not be reached.
    var exitCode: Int32 { get }
}

extension ClusterStatusReport {
    static func missingSection(_ config: ClusterConfig) -> String? { nil }
}

/// The one shape of every status verb: load the config, check the section it needs, ask each
/// controller, render (table, or stable JSON with `--json`), exit with the report's code.
enum ClusterStatusVerb {
    static func run<Report: ClusterStatusReport>(_ report: Report.Type, global: GlobalOptions, json: Bool) async throws {
        let config = try global.loadConfig()
        if let missing = Report.missingSection(config) {
            printError(missing)
            throw ExitCode(ExitStatus.usage)
        }
        let client = try CLIClient.make(config)
        let answers = await client.each { controller throws(AgentClientError) in try await Report.fetch(controller, client) }
        await client.http.shutdown()
        let report = Report(config: config, answers: answers)
        if json {
            print(try CLIJSON.encode(report))
        } else {
            print(report.renderTable(), terminator: "")
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

extension StatusReport: ClusterStatusReport {
    static func fetch(_ controller: Controller, _ client: AgentClient) async throws(AgentClientError) -> NodeStatus {
        try await client.status(of: controller)
    }
    init(config: ClusterConfig, answers: [(Controller, Result<NodeStatus, AgentClientError>)]) {
        self.init(cluster: config.cluster.name, answers: answers)
    }
}

extension VIPReport: ClusterStatusReport {
    static func fetch(_ controller: Controller, _ client: AgentClient) async throws(AgentClientError) -> [VIPStatus] {
        try await client.vips(of: controller)
    }
    init(config: ClusterConfig, answers: [(Controller, Result<[VIPStatus], AgentClientError>)]) {
        self.init(vipNames: config.vips.map(\.name), answers: answers)
    }
    /// Transition ages counted from now.
    func renderTable() -> String { renderTable(now: Date().timeIntervalSince1970) }
}

/// A module's status verb (`galera status`, `rabbitmq status`): needs the module's config section,
/// asks `GET /v1/<section>`, and reads nothing else from the config.
protocol ModuleSectionReport: ClusterStatusReport where Answer: Decodable {
    /// The config section and the API path segment: `galera`, `rabbitmq`.
    static var section: String { get }
    static func configured(_ config: ClusterConfig) -> Bool
    init(answers: [(Controller, Result<Answer, AgentClientError>)])
}

extension ModuleSectionReport {
    static func missingSection(_ config: ClusterConfig) -> String? {
        configured(config) ? nil : "\(section): the config has no \(section) section"
    }
    static func fetch(_ controller: Controller, _ client: AgentClient) async throws(AgentClientError) -> Answer {
        try await client.get("/v1/\(section)", of: controller, as: Answer.self)
    }
    init(config: ClusterConfig, answers: [(Controller, Result<Answer, AgentClientError>)]) {
        self.init(answers: answers)
    }
}

extension GaleraStatusReport: ModuleSectionReport {
    typealias Answer = GaleraReport
    static let section = "galera"
    static func configured(_ config: ClusterConfig) -> Bool { config.galera != nil }
}

extension RabbitMQStatusReport: ModuleSectionReport {
    typealias Answer = MQReport
    static let section = "rabbitmq"
    static func configured(_ config: ClusterConfig) -> Bool { config.rabbitmq != nil }
}
