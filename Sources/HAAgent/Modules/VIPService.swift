import ServiceLifecycle
import VIPManager

/// Runs the VIP engine inside the agent's ServiceGroup. On graceful shutdown (SIGTERM) it hands every
/// VIP it holds to a peer before leaving, so a client pinging the VIP loses nothing; only if no peer
/// takes over does the engine fall back to the RFC's priority-0 advert.
struct VIPService: Service {
    let context: AgentContext
    let engine: VRRPEngine

    func run() async throws {
        do { try engine.start() } catch {
            throw AgentError.module(name: "vip", message: error.description)
        }
        try? await gracefulShutdown()
        engine.leave()
        await VIPHandover.giveAway(context, engine: engine, reason: "agent stopping")
        await engine.stop()
    }
}
