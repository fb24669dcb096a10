import ServiceLifecycle

/// Runs the writer tracker inside the agent's ServiceGroup.
struct GaleraWriterService: Service {
    let tracker: GaleraWriterTracker

    func run() async throws {
        await cancelWhenGracefulShutdown { await tracker.run() }
    }
}
