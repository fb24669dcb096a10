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

/// SPEC §2 exit codes.
public enum ExitStatus {
    public static let ok: Int32 = 0
    public static let failed: Int32 = 1
    public static let usage: Int32 = 2
    public static let degraded: Int32 = 3
    public static let unreachable: Int32 = 4
}

struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Cluster config file (else $HACTL_CONFIG, else /etc/hactl/cluster.yaml).", valueName: "file"))
    var config: String?

    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["HACTL_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? "/etc/hactl/cluster.yaml"
    }

    /// Loads and validates the config; on errors prints every one and exits 2.
    func loadConfig() throws -> ClusterConfig {
        do { return try ClusterConfig.load(path: configPath) } catch {
            printError(error.description)
            throw ExitCode(ExitStatus.usage)
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print("hactl \(HACoreVersion.string)") }
}
