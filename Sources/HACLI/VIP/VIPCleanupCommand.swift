import ArgumentParser
import Foundation
import HAAgent
import HACore

/// `hactl vip cleanup`: removes this node's VIP addresses from their interfaces. For the agent unit's
/// `ExecStopPost` (after the agent stopped, any VIP still on an interface is a leftover: a SIGKILL
/// during the handover, a crash); never run it while the agent runs.
struct VIPCleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove this node's VIP addresses left on its interfaces (run only while the agent is stopped).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "This node's controller name (else found by hostname or local address, as the agent does).")
    var node: String?

    func run() throws {
        let config = try global.loadConfig()
        let me: Controller
        do {
            me = try config.identifyNode(explicit: node, hostname: ProcessInfo.processInfo.hostName,
                                         localAddresses: LocalAddresses.current())
        } catch {
            printError(error.description)
            throw ExitCode(ExitStatus.usage)
        }
        let mine = config.vips.filter { $0.priorities[me.name] != nil }
        let removals: [LeftoverVIPs.Removal]
        do { removals = try LeftoverVIPs.remove(mine) } catch {
            if case .module(_, let message) = error { printError(message) } else { printError(error.description) }
            throw ExitCode(ExitStatus.failed)
        }
        var failed = false
        for removal in removals {
            if let error = removal.error {
                printError("\(removal.vip): cannot remove \(removal.address) from \(removal.interface): \(error)")
                failed = true
            } else {
                print("\(removal.vip): removed \(removal.address) from \(removal.interface)")
            }
        }
        if failed { throw ExitCode(ExitStatus.failed) }
    }
}
