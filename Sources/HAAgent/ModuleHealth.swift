import HACore

/// What a module-backed endpoint or agent-check says: the module's verdict when its section is
/// configured, else `NAME not configured`. Pure over the snapshot.
enum ModuleHealth {
    static func verdict(_ key: HealthKey, context: AgentContext) -> (ok: Bool, reason: String) {
        guard let module = context.modules[key.module], module.isConfigured(context) else {
            return (false, "\(key.module) not configured")
        }
        return module.health(key, context)
    }

    /// The board entry for `key`; `missing` when the module has published none.
    static func boardVerdict(_ key: HealthKey, _ context: AgentContext, missing: String) -> (ok: Bool, reason: String) {
        guard let entry = context.board.read(key.boardKey, now: context.clock.now) else { return (false, missing) }
        return entry.status == .passing ? (true, "ok") : (false, entry.reason)
    }
}
