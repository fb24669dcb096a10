import HACore
import VIPManager

/// What `hactl vip cleanup` runs (the agent unit's `ExecStopPost`): removes this node's VIP addresses
/// left on its interfaces after the agent stopped. Here so the CLI reaches the address plumbing
/// without importing a module.
public enum LeftoverVIPs {
    /// One address found on its interface, and whether removing it worked.
    public struct Removal: Sendable, Equatable {
        public var vip: String
        public var address: IPNetwork
        public var interface: String
        /// Why the removal failed; nil when the address is gone.
        public var error: String?
    }

    /// Removes every address of `vips` present on its interface (interfaces that do not exist are
    /// skipped; running it twice is harmless). Throws when no netlink socket can be opened.
    public static func remove(_ vips: [VIPConfig]) throws(AgentError) -> [Removal] {
        let manager: AddressManager
        do { manager = try AddressManager() } catch {
            throw .module(name: "vip", message: "cannot open a netlink socket: \(error.description)")
        }
        return VIPCleanup.removeAddresses(of: vips, using: manager).map { outcome in
            switch outcome {
            case .removed(let vip, let address, let interface):
                Removal(vip: vip, address: address, interface: interface, error: nil)
            case .failed(let vip, let address, let interface, let error):
                Removal(vip: vip, address: address, interface: interface, error: error)
            }
        }
    }
}
