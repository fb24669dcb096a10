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

    /// Requests refused with 400 for a non-canonical target (labels: `CanonicalTarget.Rejection` raw values).
    func httpRejected(reason: CanonicalTarget.Rejection) -> Counter {
        registry.makeCounter(name: "hactl_http_rejected_total", labels: [("reason", reason.rawValue)],
                             help: "API requests refused with 400 before authentication, by reason")
    }

    func agentCheck(service: String) -> Counter {
        registry.makeCounter(name: "hactl_agent_check_requests_total", labels: [("service", service)],
                             help: "HAProxy agent-check requests by service (unknown ones counted as 'unknown')")
    }

    /// A module's verdict at scrape time: 0 passing, 2 critical (`galera`, `galera.writer`, `rabbitmq`).
    func moduleStatus(_ entry: String) -> Gauge {
        registry.makeGauge(name: "hactl_module_status", labels: [("entry", entry)],
                           help: "Module verdict as its endpoint answers: 0 passing, 1 warning, 2 critical")
    }

    /// How long the module's last probe took (`galera`, `rabbitmq`).
    func probeDuration(_ module: String) -> Gauge {
        registry.makeGauge(name: "hactl_probe_duration_seconds", labels: [("module", module)],
                           help: "Wall time of the module's last probe")
    }

    var rabbitmqRoundTrip: Gauge {
        registry.makeGauge(name: "hactl_rabbitmq_round_trip_seconds",
                           help: "Publish-to-delivery time of the last AMQP round trip (absent value: 0)")
    }

    var galeraLastCommitted: Gauge {
        registry.makeGauge(name: "hactl_galera_last_committed", help: "wsrep_last_committed of the last status read")
    }

    func checkStatus(_ name: String) -> Gauge {
        registry.makeGauge(name: "hactl_check_status", labels: [("check", name)],
                           help: "Debounced local check status: 0 passing, 1 warning, 2 critical")
    }
}
