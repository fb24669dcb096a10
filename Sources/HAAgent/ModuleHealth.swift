import GaleraProbe
import HACore

/// What a module-backed endpoint or agent-check says: the module's board entry when it publishes
/// one, else why there is none (section absent, or the module not built yet). Pure over the snapshot.
enum ModuleHealth {
    static func verdict(_ key: String, context: AgentContext) -> (ok: Bool, reason: String) {
        let module = String(key.split(separator: ".").first ?? "")
        let config = context.config
        let configured: Bool = switch module {
        case "galera": config.galera != nil
        case "rabbitmq": config.rabbitmq != nil
        case "vip": context.vip != nil   // the running engine: VIP changes take effect at restart
        default: false
        }
        guard configured else { return (false, "\(module) not configured") }
        // The writer entry is refreshed once per round; the node's own verdict and drain flag are
        // newer between rounds, and a failing or drained node must never stay writer until the next
        // round (the entry itself goes stale when rounds stop).
        if key == GaleraWriterTracker.checkName {
            let local = verdict(GaleraProbe.checkName, context: context)
            if !local.ok { return local }
            if context.nodeState.drained { return (false, WriterHoldout.drainedReason) }
        }
        guard let entry = context.board.read(key, now: context.clock.now) else {
            if key == GaleraWriterTracker.checkName { return (false, HealthBoard.noResultReason) }
            return (false, "\(module) module not implemented in this build")
        }
        return entry.status == .passing ? (true, "ok") : (false, entry.reason)
    }
}
