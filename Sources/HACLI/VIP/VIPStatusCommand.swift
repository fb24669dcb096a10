import ArgumentParser
import HACore

/// `hactl vip status [--json]`: every VIP, its master, each node's state and priority, last transition.
struct VIPStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Who holds which VIP.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Stable JSON instead of the table.") var json = false

    func run() async throws {
        try await ClusterStatusVerb.run(VIPReport.self, global: global, json: json)
    }
}
