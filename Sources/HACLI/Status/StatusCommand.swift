import ArgumentParser
import HACore

/// `hactl status [--json]`: every controller in one table; exit 3 when degraded, 4 when a
/// controller cannot be reached (the others are still printed).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the whole cluster.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Stable JSON instead of the table.") var json = false

    func run() async throws {
        try await ClusterStatusVerb.run(StatusReport.self, global: global, json: json)
    }
}
