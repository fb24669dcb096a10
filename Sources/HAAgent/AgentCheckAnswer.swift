import HACore

/// The HAProxy agent-check protocol: one request word (`agent-send "galera\n"`), one answer line:
/// `up`, `drain`, `down #reason` or `maint`. Pure over the snapshots.
enum AgentCheckAnswer {
    /// The word for the node itself (also what an empty request asks for).
    static let nodeWord = "node"

    /// Words a request may name: `node` and the registered modules' words; anything else is
    /// `down #unknown service`.
    static func words(_ context: AgentContext) -> [String] {
        [nodeWord] + context.modules.all.flatMap { $0.agentCheckWords.map(\.word) }
    }

    static func answer(_ request: String, context: AgentContext) -> (service: String, line: String) {
        let word = request.trimmingCharacters(in: [" ", "\t", "\r", "\n"]).lowercased()
        let drained = context.nodeState.drained
        if word == nodeWord || word.isEmpty { return (nodeWord, drained ? "drain" : "up") }
        guard let key = context.modules.agentCheckKey(for: word) else { return ("unknown", "down #unknown service") }
        let (ok, reason) = ModuleHealth.verdict(key, context: context)
        guard ok else { return (word, "down #\(sanitize(reason))") }
        return (word, drained ? "drain" : "up")
    }

    /// One line, printable ASCII, bounded: the answer must never break HAProxy's parser.
    static func sanitize(_ reason: String) -> String {
        String(reason.unicodeScalars.prefix(200).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }
}
