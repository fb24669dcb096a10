import Logging
import ServiceLifecycle

/// Runs a service; once graceful shutdown starts it gets `drain` to finish, then it is cancelled
/// (for the HTTP server: requests still in flight are cut off).
struct BoundedDrain<Wrapped: Service>: Service {
    let service: Wrapped
    let drain: Duration
    let logger: Logger

    func run() async throws {
        let drain = self.drain
        try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask { try await service.run(); return true }
            tasks.addTask {
                // Throws only when cancelled (the service finished first): then nothing to bound.
                try await gracefulShutdown()
                try await Task.sleep(for: drain)
                return false
            }
            defer { tasks.cancelAll() }
            guard let finished = try await tasks.next(), !finished else { return }
            logger.warning("HTTP drain timed out; cancelling requests in flight", metadata: ["drain": .string("\(drain)")])
            tasks.cancelAll()
            while case .some(.some) = try? await tasks.next() {}
        }
    }
}
