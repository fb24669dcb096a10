import HACore

/// Placeholder for the VIPManager module: nothing is implemented yet, and the agent reports it as such.
public enum VIPManagerModule {
    public static let name = "vipmanager"
    /// False until the module's issue lands; the agent's status says "not implemented".
    public static let implemented = false
}
