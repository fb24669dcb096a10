/// Numbers decoded from another process's answer (a peer agent, the API as read by the CLI) are
/// untrusted: converting them must never trap. `Int(1e300)` or `Int(Double.nan)` would.
public enum UntrustedNumber {
    /// About 100 years: more than any uptime or age an agent can honestly report.
    public static let maxSeconds = 100 * 365 * 86_400

    /// Whole seconds of `value`, clamped into `0...maxSeconds`; NaN is 0, +infinity is `maxSeconds`.
    public static func seconds(_ value: Double) -> Int {
        guard !value.isNaN, value > 0 else { return 0 }
        guard value < Double(maxSeconds) else { return maxSeconds }
        return Int(value)
    }
}
