import ArgumentParser
import Foundation
import HACore

/// `hactl vip status [--json]`: every VIP, its master, each node's state and priority, last transition.
struct VIPStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Who holds which VIP.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Stable JSON instead of the table.") var json = false

    func run() async throws {
        let config = try global.loadConfig()
        let client = try CLIClient.make(config)
        let answers = await client.each { controller throws(AgentClientError) in try await client.vips(of: controller) }
        await client.http.shutdown()
        let report = VIPReport(vipNames: config.vips.map(\.name), answers: answers)
        if json {
            print(try CLIJSON.encode(report))
        } else {
            print(report.renderTable(), terminator: "")
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
