import ArgumentParser
import Foundation
import HACore

/// The options every verb shares (`--config`, before or after the verb).
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
