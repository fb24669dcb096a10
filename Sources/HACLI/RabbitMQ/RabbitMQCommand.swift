import ArgumentParser

struct RabbitMQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rabbitmq", abstract: "RabbitMQ: each node's health and the cluster as each node sees it.",
        subcommands: [RabbitMQStatusCommand.self])
}
