import ArgumentParser
import HACore

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Maintenance of one controller.", subcommands: [NodeDrain.self, NodeResume.self])
}

/// Sends one signed admin call to the named controller's agent and prints its answer.
func runNodeAdmin(_ path: String, node name: String, global: GlobalOptions) async throws {
    let config = try global.loadConfig()
    guard let controller = config.controller(named: name) else {
        printError("no controller named \(name) in \(config.path) (controllers: \(config.controllers.map(\.name).joined(separator: ", ")))")
        throw ExitCode(ExitStatus.usage)
    }
    let client = try CLIClient.make(config)
    defer { Task { await client.http.shutdown() } }
    do {
        let result = try await client.admin(path, on: controller)
        print("\(result.node): \(result.message)")
        if !result.ok { throw ExitCode(ExitStatus.failed) }
    } catch let error as AgentClientError {
        printError(error.description)
        if case .unreachable = error { throw ExitCode(ExitStatus.unreachable) }
        throw ExitCode(ExitStatus.failed)
    }
}
