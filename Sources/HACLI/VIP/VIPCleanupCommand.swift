import ArgumentParser
import Foundation
import HACore
import VIPManager

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
        let manager: AddressManager
        do { manager = try AddressManager() } catch {
            printError("cannot open a netlink socket: \(error.description)")
            throw ExitCode(ExitStatus.failed)
        }
        var failed = false
        for outcome in VIPCleanup.removeAddresses(of: mine, using: manager) {
            switch outcome {
            case .removed(let vip, let address, let interface):
                print("\(vip): removed \(address) from \(interface)")
            case .failed(let vip, let address, let interface, let error):
                printError("\(vip): cannot remove \(address) from \(interface): \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(ExitStatus.failed) }
    }
}
