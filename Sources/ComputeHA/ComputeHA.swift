import HACore

/// Placeholder for the ComputeHA module: nothing is implemented yet, and the agent reports it as such.
public enum ComputeHAModule {
    public static let name = "computeha"
    /// False until the module's issue lands; the agent's status says "not implemented".
    public static let implemented = false
}
