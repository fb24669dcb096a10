import Metrics

/// VRRP metrics through swift-metrics (the application bootstraps the Prometheus backend).
/// Label values are bounded: VIP names from the config, states, and the drop reasons' raw values.
struct VIPMetrics: Sendable {
    func transitions(vip: String, to state: String) -> Counter {
        Counter(label: "hactl_vrrp_transitions_total", dimensions: [("vip", vip), ("to", state)])
    }
    func sent(vip: String) -> Counter { Counter(label: "hactl_vrrp_adverts_sent_total", dimensions: [("vip", vip)]) }
    func received(vip: String) -> Counter { Counter(label: "hactl_vrrp_adverts_received_total", dimensions: [("vip", vip)]) }
    func sendErrors(vip: String) -> Counter { Counter(label: "hactl_vrrp_send_errors_total", dimensions: [("vip", vip)]) }
    func dropped(vip: String, reason: String) -> Counter {
        Counter(label: "hactl_vrrp_packets_dropped_total", dimensions: [("vip", vip), ("reason", reason)])
    }
    /// A VIP went to Fault because it has no usable advert source (IPv6: no link-local address yet).
    func sourceUnavailable(vip: String) -> Counter {
        Counter(label: "hactl_vrrp_source_unavailable_total", dimensions: [("vip", vip)])
    }
    func announcements(vip: String) -> Counter {
        Counter(label: "hactl_vrrp_announcements_total", dimensions: [("vip", vip)])
    }
    /// 0 initialize, 1 backup, 2 master, 3 fault.
    func state(vip: String) -> Gauge { Gauge(label: "hactl_vrrp_state", dimensions: [("vip", vip)]) }

    static func stateValue(_ state: VRRPStateMachine.State) -> Int {
        switch state {
        case .initialize: 0
        case .backup: 1
        case .master: 2
        case .fault: 3
        }
    }
}
