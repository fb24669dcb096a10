import HACore

/// Errors of the agent's own wiring (config, identity, state directory, listeners).
public enum AgentError: Error, CustomStringConvertible, Sendable {
    case config(ConfigErrors)
    case stateDirectory(path: String, message: String)
    case secret(SecurityError)
    case bind(what: String, address: String, port: Int, message: String)
    /// A module could not start (e.g. the VIP engine without its interface or raw-socket rights).
    case module(name: String, message: String)

    public var description: String {
        switch self {
        case .config(let errors): errors.description
        case .stateDirectory(let path, let message): "state \(path): \(message)"
        case .secret(let error): error.description
        case .bind(let what, let address, let port, let message): "cannot listen for \(what) on \(address):\(port): \(message)"
        case .module(let name, let message): "\(name) module cannot start: \(message)"
        }
    }
}
