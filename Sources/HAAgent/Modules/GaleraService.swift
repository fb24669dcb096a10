import GaleraProbe
import HACore
import ServiceLifecycle

/// Runs the Galera probe (one persistent connection on its own thread) inside the agent's
/// ServiceGroup; its verdict goes to the board as `galera`, which `/health/galera` and the
/// `galera` agent-check read.
struct GaleraService: Service {
    let probe: GaleraMonitor

    func run() async throws {
        await cancelWhenGracefulShutdown { await probe.run() }
        probe.shutdown()
    }
}
