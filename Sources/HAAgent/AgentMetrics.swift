import HACore
import Prometheus

/// The agent's own metrics, registered on the registry the application serves on `/metrics`.
/// Names are `hactl_*` with bounded label values.
public struct AgentMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let drained: Gauge
    let startTime: Gauge

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        drained = registry.makeGauge(name: "hactl_node_drained", help: "1 while this node is drained")
        startTime = registry.makeGauge(name: "hactl_agent_uptime_seconds", help: "Seconds since the agent started")
    }

    func reloads(result: String) -> Counter {
        registry.makeCounter(name: "hactl_config_reloads_total", labels: [("result", result)],
                             help: "SIGHUP config reloads by result (applied, invalid)")
    }

    func authFailures(reason: AuthFailure) -> Counter {
        let label = switch reason {
        case .missing: "missing"
        case .malformed: "malformed"
        case .expired: "expired"
        case .badSignature: "bad_signature"
        case .replayed: "replayed"
        }
        return registry.makeCounter(name: "hactl_api_auth_failures_total", labels: [("reason", label)],
                                    help: "Admin and peer calls refused with 401, by reason")
    }

    func agentCheck(service: String) -> Counter {
        registry.makeCounter(name: "hactl_agent_check_requests_total", labels: [("service", service)],
                             help: "HAProxy agent-check requests by service (unknown ones counted as 'unknown')")
    }

    func checkStatus(_ name: String) -> Gauge {
        registry.makeGauge(name: "hactl_check_status", labels: [("check", name)],
                           help: "Debounced local check status: 0 passing, 1 warning, 2 critical")
    }
}
