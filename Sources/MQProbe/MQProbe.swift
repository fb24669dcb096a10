import HACore

/// Placeholder for the MQProbe module: nothing is implemented yet, and the agent reports it as such.
public enum MQProbeModule {
    public static let name = "mqprobe"
    /// False until the module's issue lands; the agent's status says "not implemented".
    public static let implemented = false
}
