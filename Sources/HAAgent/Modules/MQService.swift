import HACore
import MQProbe
import ServiceLifecycle

/// Runs the RabbitMQ probe (one AMQP connection on its own thread, management calls over the shared
/// HTTP client); its verdict goes to the board as `rabbitmq`.
struct MQService: Service {
    /// One per management call of a probe, and one spare.
    static let httpThreads = 6
    let probe: MQMonitor

    func run() async throws {
        await cancelWhenGracefulShutdown { await probe.run() }
        probe.shutdown()
    }
}
