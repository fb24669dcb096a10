import HACore

/// The HAProxy agent-check protocol: one request word (`agent-send "galera\n"`), one answer line:
/// `up`, `drain`, `down #reason` or `maint`. Pure over the snapshots.
enum AgentCheckAnswer {
    /// Services a request may name; anything else is `down #unknown service`.
    static let services = ["node", "galera", "galera-writer", "rabbitmq"]

    static func answer(_ request: String, context: AgentContext) -> (service: String, line: String) {
        let service = request.trimmingCharacters(in: [" ", "\t", "\r", "\n"]).lowercased()
        let drained = context.nodeState.drained
        switch service {
        case "node", "":
            return ("node", drained ? "drain" : "up")
        case "galera", "galera-writer", "rabbitmq":
            let key = service == "galera-writer" ? "galera.writer" : service
            let (ok, reason) = ModuleHealth.verdict(key, context: context)
            guard ok else { return (service, "down #\(sanitize(reason))") }
            return (service, drained ? "drain" : "up")
        default:
            return ("unknown", "down #unknown service")
        }
    }

    /// One line, printable ASCII, bounded: the answer must never break HAProxy's parser.
    static func sanitize(_ reason: String) -> String {
        String(reason.unicodeScalars.prefix(200).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
