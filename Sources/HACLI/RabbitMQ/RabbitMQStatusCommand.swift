import ArgumentParser
import HACore

/// `hactl rabbitmq status [--json]`: per node running, partitions, alarms, critical queues, round
/// trip, and the cluster's view from each node.
struct RabbitMQStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Each RabbitMQ node's health.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Stable JSON instead of the table.") var json = false

    func run() async throws {
        try await ClusterStatusVerb.run(RabbitMQStatusReport.self, global: global, json: json)
    }
}
