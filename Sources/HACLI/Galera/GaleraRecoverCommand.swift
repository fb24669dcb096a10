import ArgumentParser
import Foundation
import HACore

/// `hactl galera recover [--apply] [--force]`: after a full outage, asks every agent for its node's
/// position (grastate.dat, or `--wsrep-recover` after a crash), picks the node with the highest
/// seqno (ties: safe_to_bootstrap, then config order) and, with `--apply`, bootstraps it and starts
/// the others one by one, each waited for until Synced.
struct GaleraRecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover", abstract: "After a full outage: find the most advanced node and (with --apply) bootstrap from it.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Bootstrap the chosen node and start the others (without it: only show the plan).") var apply = false
    @Flag(help: "Leave out nodes whose agent is unreachable or whose position is unknown.") var force = false
    @Flag(help: "Stable JSON (positions and plan) instead of the table.") var json = false
    @Option(help: ArgumentHelp("How long to wait for each node to become Synced (seconds).", valueName: "seconds"))
    var wait: Int = 600

    /// One day: the bound keeps `now + wait` far from overflow.
    static let maxWait = 86_400

    func validate() throws {
        guard wait > 0, wait <= Self.maxWait else {
            throw ValidationError("--wait must be a number of seconds from 1 to \(Self.maxWait)")
        }
    }

    struct Output: Codable {
        var positions: [GaleraRecoveryView.Row]
        var plan: RecoveryPlan
    }

    func run() async throws {
        let config = try global.loadConfig()
        guard config.galera != nil else {
            printError("galera: the config has no galera section")
            throw ExitCode(ExitStatus.usage)
        }
        var slow = try CLIClient.make(config)
        slow.timeout = .seconds(wait)
        let client = slow
        do {
            try await recover(config: config, client: client)
        } catch {
            await client.http.shutdown()
            throw error
        }
        await client.http.shutdown()
    }

    private func recover(config: ClusterConfig, client: AgentClient) async throws {
        let answers = await client.each { controller throws(AgentClientError) in
            try await client.call("/v1/galera/position", on: controller, as: GaleraPosition.self)
        }
        let inputs = answers.map { controller, result in
            (node: controller.name, position: result.mapError { PlanInputError($0.description) })
        }
        let plan = RecoveryPlan.make(inputs, force: force)
        let view = GaleraRecoveryView(answers: answers, plan: plan)
        if json {
            print(try CLIJSON.encode(Output(positions: view.rows, plan: plan)))
        } else {
            print(view.render(apply: apply), terminator: "")
        }
        guard let bootstrap = plan.bootstrap else {
            let unreachable = answers.contains { if case .failure = $0.1 { true } else { false } }
            throw ExitCode(unreachable && !force ? ExitStatus.unreachable : ExitStatus.failed)
        }
        guard apply else { return }
        try await applyPlan(bootstrap: bootstrap, others: plan.others, config: config, client: client)
    }

    private func applyPlan(bootstrap: String, others: [String], config: ClusterConfig, client: AgentClient) async throws {
        let steps = [(bootstrap, "bootstrap")] + others.map { ($0, "start") }
        for (name, action) in steps {
            guard let controller = config.controller(named: name) else { continue }
            progress("\(name): \(action)...")
            let result: AdminResult
            do throws(AgentClientError) {
                result = try await client.call("/v1/galera/\(action)", on: controller, as: AdminResult.self, acceptAnyStatus: true)
            } catch {
                printError("\(name): \(action) failed: \(error)")
                throw ExitCode(ExitStatus.failed)
            }
            guard result.ok else {
                printError("\(name): \(action) failed: \(result.message)")
                throw ExitCode(ExitStatus.failed)
            }
            guard await waitSynced(controller, client: client) else {
                printError("\(name): not Synced within \(wait)s; stopping here (nodes after it were not started)")
                throw ExitCode(ExitStatus.failed)
            }
            progress("\(name): Synced")
        }
        progress("recovered: \(steps.map(\.0).joined(separator: ", ")) Synced, bootstrapped from \(bootstrap)")
    }

    /// Polls the node's report until its probe says Synced and Primary (bounded by `--wait`).
    private func waitSynced(_ controller: Controller, client: AgentClient) async -> Bool {
        var quick = client
        quick.timeout = .seconds(2)
        let deadline = ContinuousClock.now + .seconds(wait)
        while ContinuousClock.now < deadline {
            if let report = try? await quick.get("/v1/galera", of: controller, as: GaleraReport.self),
               report.wsrep?.localState == GaleraStatus.LocalState.synced, report.wsrep?.cluster == .primary,
               (report.statusAgeSeconds ?? .infinity) < 5 {
                return true
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
        return false
    }

    private func progress(_ line: String) {
        if json { printError(line) } else { print(line) }
    }
}
