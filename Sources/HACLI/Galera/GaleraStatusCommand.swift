import ArgumentParser
import Foundation
import HACore

/// `hactl galera status [--json]`: per node verdict, wsrep state, cluster status and size, seqno,
/// receive queue, flow control, and the designated writer.
struct GaleraStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Each Galera node's wsrep view and the writer.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Stable JSON instead of the table.") var json = false

    func run() async throws {
        let config = try global.loadConfig()
        guard config.galera != nil else {
            printError("galera: the config has no galera section")
            throw ExitCode(ExitStatus.usage)
        }
        let client = try CLIClient.make(config)
        let answers = await client.each { controller throws(AgentClientError) in
            try await client.get("/v1/galera", of: controller, as: GaleraReport.self)
        }
        await client.http.shutdown()
        let report = GaleraStatusReport(answers: answers)
        if json {
            print(try CLIJSON.encode(report))
        } else {
            print(report.renderTable(), terminator: "")
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
