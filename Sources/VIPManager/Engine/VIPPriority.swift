import HACore

/// The priority a VIP advertises, from its base priority and what it tracks. Pure.
///
/// - A failing `fault` check puts the instance in Fault (it gives the VIP up and never takes it).
/// - A failing weighted check adds its weight (SPEC: "priority change while that check fails").
/// - A drained (or stopping) node sits at the bottom (1): it still serves if it is the only one left.
/// - A pinned node (planned handover) advertises 254 while none of its tracked checks fails.
/// - A link that is down is a fault, and so is a VRRP socket that cannot be (re-)opened.
/// The result is clamped to 1...254 (255 stays only for an owner with nothing failing).
public enum VIPPriority {
    public struct Result: Equatable, Sendable {
        public var priority: Int
        public var fault: Bool
        public var reasons: [String]
    }

    public static let pinned = 254

    public static func evaluate(base: Int, track: [TrackEntry], status: (String) -> HealthStatus?,
                                drained: Bool, leaving: Bool = false, pinned: Bool, linkUp: Bool = true, socketUp: Bool = true) -> Result {
        var reasons: [String] = []
        var fault = !linkUp || !socketUp
        if !linkUp { reasons.append("link down") }
        if !socketUp { reasons.append("vrrp socket failed") }
        var priority = base
        var anyFailing = false
        for entry in track {
            let state = status(entry.check) ?? .critical
            guard state != .passing else { continue }
            anyFailing = true
            switch entry.effect {
            case .fault:
                fault = true
                reasons.append("\(entry.check) failing: fault")
            case .weight(let w):
                priority += w
                reasons.append("\(entry.check) failing: \(w >= 0 ? "+" : "")\(w)")
            }
        }
        if drained || leaving {
            priority = 1
            reasons.append(drained ? "drained" : "stopping")
        } else if pinned && !anyFailing {
            priority = Self.pinned
            reasons.append("pinned by handover")
        }
        if priority != base || base != 255 { priority = min(max(priority, 1), 254) }
        return Result(priority: priority, fault: fault, reasons: reasons)
    }
}
