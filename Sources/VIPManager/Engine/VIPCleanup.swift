import HACore

/// Removes VIP addresses left on this host's interfaces: what `hactl vip cleanup` (the agent unit's
/// `ExecStopPost`) runs after the agent has stopped, e.g. when SIGKILL cut its handover short.
public enum VIPCleanup {
    public enum Outcome: Sendable, Equatable {
        case removed(vip: String, address: IPNetwork, interface: String)
        case failed(vip: String, address: IPNetwork, interface: String, error: String)
    }

    /// Removes every address of `vips` present on its interface; interfaces that do not exist are
    /// skipped. Only addresses found on the interface are touched, so running it twice is harmless.
    public static func removeAddresses(of vips: [VIPConfig], using manager: AddressManager) -> [Outcome] {
        var outcomes: [Outcome] = []
        for vip in vips {
            guard let present = try? manager.addresses(on: vip.interface) else { continue }
            for network in vip.addresses where present.contains(where: { $0.address == network.address }) {
                do {
                    try manager.remove(network, interface: vip.interface)
                    outcomes.append(.removed(vip: vip.name, address: network, interface: vip.interface))
                } catch {
                    outcomes.append(.failed(vip: vip.name, address: network, interface: vip.interface,
                                            error: error.description))
                }
            }
        }
        return outcomes
    }
}
