import HACore
import ServiceLifecycle

/// Runs the local checks of `checks:` and re-plans them when a reloaded config arrives.
struct CheckService: Service {
    let context: AgentContext
    let http: HTTPClient

    func run() async throws {
        var running = start(context.config, previous: [])
        await withGracefulShutdownHandler {
            for await config in context.reloads {
                running.task.cancel()
                await running.task.value
                running = start(config, previous: running.names)
            }
        } onGracefulShutdown: {
            context.finishReloads()
        }
        running.task.cancel()
        await running.task.value
    }

    private func start(_ config: ClusterConfig, previous: [String]) -> (task: Task<Void, Never>, names: [String]) {
        let names = config.checks.map(\.name)
        for gone in previous where !names.contains(gone) { context.board.remove(name: gone) }
        let scheduled = config.checks.map { check in
            ScheduledCheck(makeCheck(check), interval: check.interval, timeout: check.timeout,
                           rise: check.rise, fall: check.fall)
        }
        for check in config.checks { context.board.register(name: check.name, interval: check.interval, at: context.clock.now) }
        let runner = CheckRunner(checks: scheduled, board: context.board, clock: context.clock, logger: context.logger)
        return (Task { await runner.run() }, names)
    }

    private func makeCheck(_ check: CheckConfig) -> any HealthCheck {
        switch check.kind {
        case .tcp(let host, let port):
            TCPCheck(name: check.name, host: host.description, port: port, timeout: check.timeout)
        case .http(let url, let expect):
            HTTPCheck(name: check.name, url: url, expectStatus: expect, timeout: check.timeout, client: http)
        }
    }
}
