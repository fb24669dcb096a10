import ArgumentParser
import HACore

/// `hactl status [--json]`: every controller in one table; exit 3 when degraded, 4 when a
/// controller cannot be reached (the others are still printed).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the whole cluster.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Stable JSON instead of the table.") var json = false

    func run() async throws {
        let config = try global.loadConfig()
        let client = try CLIClient.make(config)
        let answers = await client.each { controller throws(AgentClientError) in try await client.status(of: controller) }
        await client.http.shutdown()
        let report = StatusReport(cluster: config.cluster.name, answers: answers)
        print(json ? try report.renderJSON() : report.renderTable(), terminator: json ? "\n" : "")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
