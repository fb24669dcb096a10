import ArgumentParser

struct VIPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vip", abstract: "Virtual IPs: who holds what, planned moves.", subcommands: [VIPStatusCommand.self, VIPHandoverCommand.self, VIPCleanupCommand.self])
}
