import ArgumentParser
import Foundation
import HACore

/// `hactl vip handover VIP --to NODE`: a planned, loss-free move. Clears handover pins elsewhere, asks
/// NODE to take over with a pin (it announces the VIP before the old master releases it), then checks
/// that NODE is the only master.
struct VIPHandoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "handover", abstract: "Move a VIP to a controller without dropping packets.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "VIP name.") var vip: String
    @Option(help: "The controller that takes the VIP.") var to: String

    func run() async throws {
        let config = try global.loadConfig()
        guard config.vips.contains(where: { $0.name == vip }) else {
            printError("no vip named \(vip) (vips: \(config.vips.map(\.name).joined(separator: ", ")))")
            throw ExitCode(ExitStatus.usage)
        }
        guard let target = config.controller(named: to) else {
            printError("no controller named \(to)")
            throw ExitCode(ExitStatus.usage)
        }
        let client = try CLIClient.make(config)
        defer { Task { await client.http.shutdown() } }
        for other in config.controllers where other.name != target.name {
            do { _ = try await client.admin("/v1/vip/\(vip)/unpin", on: other) } catch {
                printError("warning: could not clear a pin on \(other.name): \(error)")
            }
        }
        let body = Array(try JSONEncoder().encode(TakeoverRequest(pin: true)))
        do {
            let result = try await client.admin("/v1/vip/\(vip)/takeover", on: target, body: body)
            guard result.ok else { printError("\(target.name): \(result.message)"); throw ExitCode(ExitStatus.failed) }
        } catch let error as AgentClientError {
            printError(error.description)
            if case .unreachable = error { throw ExitCode(ExitStatus.unreachable) }
            throw ExitCode(ExitStatus.failed)
        }
        // The old master releases when it hears the new one; confirm a single master.
        let deadline = ContinuousClock.now + .seconds(3)
        var report = VIPReport(vipNames: [vip], answers: [])
        repeat {
            let answers = await client.each { controller throws(AgentClientError) in try await client.vips(of: controller) }
            report = VIPReport(vipNames: [vip], answers: answers)
            if report.vips.first?.masters == [target.name] {
                print("\(vip): \(target.name) is master (pinned until the next handover, a drain or its restart)")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        printError("\(vip): handover to \(target.name) not confirmed: masters \(report.vips.first?.masters ?? [])")
        throw ExitCode(ExitStatus.failed)
    }
}
