import ArgumentParser
import Foundation
import HACore

/// The `hactl` command tree. The executable is a thin `@main` that calls `Hactl.runMain()`.
public struct Hactl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hactl",
        abstract: "High availability for an OpenStack control plane: the node agent and the operator CLI.",
        version: HACoreVersion.string,
        subcommands: [AgentCommand.self, StatusCommand.self, VIPCommand.self, NodeCommand.self, GaleraCommand.self, RabbitMQCommand.self, ConfigCommand.self, VersionCommand.self])

    public init() {}

    /// Parses and runs, mapping usage errors to exit code 2 as SPEC §2 requires (ArgumentParser says 64).
    public static func runMain(_ arguments: [String]? = nil) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.usage)
            }
            exit(withError: error)
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
