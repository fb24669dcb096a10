import HACore
import ServiceLifecycle

/// Runs one module's probe loop (``ProbeDriver``: Galera's, RabbitMQ's) inside the agent's
/// ServiceGroup until graceful shutdown, then shuts the probe down (its worker threads end or are
/// abandoned, never waited for). The verdicts go to the board under the probe's check name.
struct ProbeService<Status: Sendable & Equatable, Worker: RetirableWorker>: Service {
    let probe: ProbeDriver<Status, Worker>

    func run() async throws {
        await cancelWhenGracefulShutdown { await probe.run() }
        probe.shutdown()
    }
}
