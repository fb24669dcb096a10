import ArgumentParser
import Foundation
import HACore

/// `hactl rabbitmq status [--json]`: per node running, partitions, alarms, critical queues, round
/// trip, and the cluster's view from each node.
struct RabbitMQStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Each RabbitMQ node's health.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Stable JSON instead of the table.") var json = false

    func run() async throws {
        let config = try global.loadConfig()
        guard config.rabbitmq != nil else {
            printError("rabbitmq: the config has no rabbitmq section")
            throw ExitCode(ExitStatus.usage)
        }
        let client = try CLIClient.make(config)
        let answers = await client.each { controller throws(AgentClientError) in
            try await client.get("/v1/rabbitmq", of: controller, as: MQReport.self)
        }
        await client.http.shutdown()
        let report = RabbitMQStatusReport(answers: answers)
        if json {
            print(try CLIJSON.encode(report))
        } else {
            print(report.renderTable(), terminator: "")
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
