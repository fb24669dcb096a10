import HACore

/// Placeholder for the GaleraProbe module: nothing is implemented yet, and the agent reports it as such.
public enum GaleraProbeModule {
    public static let name = "galeraprobe"
    /// False until the module's issue lands; the agent's status says "not implemented".
    public static let implemented = false
}
