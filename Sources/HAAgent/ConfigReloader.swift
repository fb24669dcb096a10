import ServiceLifecycle
import UnixSignals

/// SIGHUP re-reads the config file (see `AgentContext.reload`).
struct ConfigReloader: Service {
    let context: AgentContext
    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            context.reload()
        }
    }
}
