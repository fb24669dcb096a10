import ArgumentParser
import HACore

/// `hactl galera status [--json]`: per node verdict, wsrep state, cluster status and size, seqno,
/// receive queue, flow control, and the designated writer.
struct GaleraStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Each Galera node's wsrep view and the writer.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Stable JSON instead of the table.") var json = false

    func run() async throws {
        try await ClusterStatusVerb.run(GaleraStatusReport.self, global: global, json: json)
    }
}
