import ArgumentParser
import HACore

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print("hactl \(HACoreVersion.string)") }
}
