import ArgumentParser
import HACore

/// `hactl config check [FILE]`: exit 0, or 2 with `FILE:LINE:COL: message` per problem.
struct ConfigCheck: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a config file (every problem at once).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The file (default: --config, $HACTL_CONFIG, /etc/hactl/cluster.yaml).") var file: String?

    func run() throws {
        let path = file ?? global.configPath
        do {
            let config = try ClusterConfig.load(path: path)
            print("\(path): ok (\(config.controllers.count) controllers, \(config.vips.count) vips, \(config.checks.count) checks, "
                  + "modules: \(enabledModules(config)))")
        } catch {
            printError(error.description)
            throw ExitCode(ExitStatus.usage)
        }
    }

    func enabledModules(_ c: ClusterConfig) -> String {
        let on = [(!c.vips.isEmpty, "vip"), (c.galera != nil, "galera"), (c.rabbitmq != nil, "rabbitmq"), (c.compute != nil, "compute")]
            .filter(\.0).map(\.1)
        return on.isEmpty ? "none" : on.joined(separator: ", ")
    }
}
