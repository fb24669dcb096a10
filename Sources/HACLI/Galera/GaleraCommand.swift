import ArgumentParser

struct GaleraCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "galera", abstract: "MariaDB Galera: each node's wsrep view, full-outage recovery.",
        subcommands: [GaleraStatusCommand.self, GaleraRecoverCommand.self])
}
