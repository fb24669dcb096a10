import ArgumentParser
import Foundation
import HAAgent
import HACore
import Logging
import Metrics
import Prometheus

/// `hactl agent`: the node daemon in the foreground. SIGTERM/SIGINT stop it gracefully, SIGHUP reloads.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent", abstract: "Run the node agent in the foreground.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "This node's controller name (else the hostname, else the controller whose address is local).") var node: String?
    @Option(name: .customLong("state-dir"), help: "State directory (default /var/lib/hactl/<node>).") var stateDir: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        // Only the application bootstraps logging and metrics; libraries take what they are given.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "hactl.agent")
        // Before the cluster secret is read: no core dump, no /proc/PID/mem or ptrace by the agent's
        // own (non-root) uid.
        if let code = ProcessHardening.disableDumping() {
            logger.warning("cannot make the agent non-dumpable (prctl PR_SET_DUMPABLE)",
                           metadata: ["error": .string(String(cString: strerror(code)))])
        }

        let config = try global.loadConfig()
        let me: Controller
        do {
            me = try config.identifyNode(explicit: node, hostname: ProcessInfo.processInfo.hostName,
                                         localAddresses: LocalAddresses.current())
        } catch {
            printError(error.description)
            throw ExitCode(ExitStatus.usage)
        }
        // Checks, peer calls and the handover each on their own threads (a dead peer starves no check).
        let http = AgentHTTPClients()
        do {
            let context = try AgentContext(config: config, node: me, stateDirectory: stateDir ?? "/var/lib/hactl/\(me.name)",
                                           registry: registry, http: http.checks, peerHTTP: http.peers,
                                           handoverHTTP: http.handover, logger: logger)
            try await Agent(context: context).run()
        } catch let error as AgentError {
            logger.critical("agent failed", metadata: ["error": .string(error.description)])
            await http.shutdown()
            printError("hactl agent: \(error.description)")
            throw ExitCode(ExitStatus.failed)
        }
        await http.shutdown()
    }
}
