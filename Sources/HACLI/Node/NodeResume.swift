import ArgumentParser

/// `hactl node resume NODE`: undo `drain`.
struct NodeResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Put a drained controller back in service.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Controller name.") var node: String
    func run() async throws { try await runNodeAdmin("/v1/node/resume", node: node, global: global) }
}
