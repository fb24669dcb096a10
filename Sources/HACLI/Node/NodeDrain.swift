import ArgumentParser

/// `hactl node drain NODE`: the node reports `drain` to HAProxy and `/health/node` turns 503
/// (VIPs are handed away once the VIP module lands). Survives an agent restart.
struct NodeDrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drain", abstract: "Take a controller out of service for maintenance.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Controller name.") var node: String
    func run() async throws { try await runNodeAdmin("/v1/node/drain", node: node, global: global) }
}
