import HACore

/// One VIP in the ``VIPRuntime``: the pure state machine, the engine-level policy state around it
/// (pin, priority, announcement and release timers, handover waiters) and what executing its
/// effects needs. A plain value, owned by the runtime on the engine thread.
struct VIPInstance {
    let config: VIPConfig
    let index: Int
    var machine: VRRPStateMachine
    let policy: VRRPReceivePolicy
    let socketKey: SocketKey
    /// Multicast group, or the peers' addresses for unicast.
    let destinations: [IPAddress]
    /// The advert source (IPv6: the interface's link-local address); unavailable puts the VIP in Fault.
    var advertSource: AdvertSource
    let authPass: [UInt8]?
    let label: String?

    var pinned = false
    var priority: VIPPriority.Result
    /// Announcements still to send (GARP/NA burst) and the next periodic refresh.
    var announceAt: [MonotonicInstant] = []
    var refreshAt: MonotonicInstant?
    /// A release waiting out its grace period (see `VIPRuntime.releaseGrace`).
    var removeAt: MonotonicInstant?
    var lastTransition: VIPStatus.Transition?
    var advertsSent = 0
    var advertsReceived = 0
    var dropped: [String: Int] = [:]
    /// Callers of `takeover` waiting for this VIP to become Master (the executor holds their replies).
    var takeoverWaiters: [(id: VIPRuntime.WaiterID, deadline: MonotonicInstant)] = []

    struct SocketKey: Hashable {
        var interface: String
        var family: VRRPReceivePolicy.Family
    }

    /// Builds the instance of `config` for `node`. Pure: the caller reads the auth_pass secret and
    /// looks up the advert source (`AdvertSource.resolve`).
    static func make(_ config: VIPConfig, index: Int, node: Controller, controllers: [Controller],
                     authPass: [UInt8]?, source: AdvertSource) -> VIPInstance {
        let family = Self.family(of: config)
        let base = config.priorities[node.name] ?? 100
        let peers = controllers.filter { $0.name != node.name }.map(\.address) + config.acceptFrom
        let sameFamily = peers.filter { VRRPReceivePolicy.Family(of: $0) == family }
        let allowed = Set(controllers.map(\.address) + config.acceptFrom)
        let policy = VRRPReceivePolicy(
            version: config.version, vrids: [UInt8(config.vrid)], authPass: authPass,
            requiredAdvertInterval: config.version == 2 ? config.advertInterval : nil,
            allowedSources: allowed, family: family)
        let group = family == .v4 ? VRRPCodec.multicastGroupIPv4 : VRRPCodec.multicastGroupIPv6
        let machine = VRRPStateMachine(parameters: .init(
            vrid: UInt8(config.vrid), basePriority: base, advertInterval: config.advertInterval,
            preempt: config.preempt, preemptDelay: config.preemptDelay, primaryAddress: source.address ?? node.address,
            version: config.version))
        let label = family == .v4 ? String("\(config.interface):\(config.name)".prefix(15)) : nil
        return VIPInstance(
            config: config, index: index, machine: machine, policy: policy,
            socketKey: .init(interface: config.interface, family: family),
            destinations: config.unicast ? sameFamily : [group], advertSource: source, authPass: authPass,
            label: label, priority: .init(priority: base, fault: false, reasons: []))
    }

    /// The family of `config`'s addresses (config validation keeps them to one).
    static func family(of config: VIPConfig) -> VRRPReceivePolicy.Family {
        config.addresses[0].address.isIPv4 ? .v4 : .v6
    }

    var name: String { config.name }
    var vrid: UInt8 { UInt8(config.vrid) }

    func advertisement(priority: UInt8) -> VRRPAdvertisement {
        VRRPAdvertisement(version: config.version, vrid: vrid, priority: priority,
                          maxAdvertInterval: config.advertInterval,
                          addresses: config.addresses.map(\.address), authPass: authPass)
    }

    func status(base: Int) -> VIPStatus {
        VIPStatus(name: name, vrid: config.vrid, state: machine.state.rawValue, priority: machine.effectivePriority,
                  basePriority: base, master: machine.masterAddress?.description, pinned: pinned,
                  priorityReasons: priority.reasons, lastTransition: lastTransition,
                  advertsSent: advertsSent, advertsReceived: advertsReceived, dropped: dropped)
    }
}
