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
        drained = registry.makeGauge(descriptor: MetricNameDescriptor(
            metricName: "hactl_node_drained", unitName: "", helpText: "1 while this node is drained"))
        startTime = registry.makeGauge(descriptor: MetricNameDescriptor(
            metricName: "hactl_agent_uptime", unitName: "seconds", helpText: "Seconds since the agent started"))
    }

    func reloads(result: String) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "hactl_config_reloads", unitName: "total",
                                             helpText: "SIGHUP config reloads by result (applied, invalid)"),
            labels: [("result", result)])
    }

    func authFailures(reason: AuthFailure) -> Counter {
        let label = switch reason {
        case .missing: "missing"
        case .malformed: "malformed"
        case .expired: "expired"
        case .badSignature: "bad_signature"
        case .replayed: "replayed"
        }
        return registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "hactl_api_auth_failures", unitName: "total",
                                             helpText: "Admin and peer calls refused with 401, by reason"),
            labels: [("reason", label)])
    }

    /// Requests refused with 400 for a non-canonical target (labels: `CanonicalTarget.Rejection` raw values).
    func httpRejected(reason: CanonicalTarget.Rejection) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "hactl_http_rejected", unitName: "total",
                                             helpText: "API requests refused with 400 before authentication, by reason"),
            labels: [("reason", reason.rawValue)])
    }

    func agentCheck(service: String) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "hactl_agent_check_requests", unitName: "total",
                helpText: "HAProxy agent-check requests by service (unknown ones counted as 'unknown')"),
            labels: [("service", service)])
    }

    /// A module's verdict at scrape time: 0 passing, 2 critical (`galera`, `galera.writer`, `rabbitmq`).
    func moduleStatus(_ entry: String) -> Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "hactl_module_status", unitName: "",
                helpText: "Module verdict as its endpoint answers: 0 passing, 1 warning, 2 critical"),
            labels: [("entry", entry)])
    }

    /// How long the module's last probe took (`galera`, `rabbitmq`).
    func probeDuration(_ module: String) -> Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "hactl_probe_duration", unitName: "seconds",
                                             helpText: "Wall time of the module's last probe"),
            labels: [("module", module)])
    }

    func checkStatus(_ name: String) -> Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "hactl_check_status", unitName: "",
                                             helpText: "Debounced local check status: 0 passing, 1 warning, 2 critical"),
            labels: [("check", name)])
    }
}
