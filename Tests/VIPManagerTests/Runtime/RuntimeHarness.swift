import HACore
@testable import VIPManager

/// Drives a `VIPRuntime` the way `VRRPEngine` does, on a `ManualClock`: inputs at `clock.now`, and
/// `run(for:)` wakes at each of the runtime's deadlines (a tick each) like the engine's poll loop.
/// What the sensors read (checks, drain, advert source) is set on the harness. No I/O, no sleeping.
final class RuntimeHarness {
    static let ctl1 = Controller(name: "ctl1", address: ip("198.18.0.11"))
    static let ctl2 = Controller(name: "ctl2", address: ip("198.18.0.12"))
    static let start = MonotonicInstant(nanoseconds: 1_000_000_000_000)

    let clock = ManualClock(now: RuntimeHarness.start)
    var runtime: VIPRuntime
    var drained = false
    var checks: [String: HealthStatus] = [:]
    var sources: [String: AdvertSource] = [:]
    /// Every effect so far with the instant it was produced at (logs and counts included).
    private(set) var timeline: [(at: MonotonicInstant, effect: VIPRuntime.Effect)] = []

    init(_ configs: [VIPConfig], node: Controller = ctl1, waiters: [String: [(VIPRuntime.WaiterID, MonotonicInstant)]] = [:]) {
        let instances = configs.enumerated().map { index, config in
            var instance = VIPInstance.make(config, index: index, node: node, controllers: [Self.ctl1, Self.ctl2],
                                            authPass: nil, source: .ready(node.address))
            instance.takeoverWaiters = waiters[config.name]?.map { (id: $0.0, deadline: $0.1) } ?? []
            return instance
        }
        runtime = VIPRuntime(node: node, instances: instances)
    }

    static func vip(_ name: String = "public", vrid: Int = 51, interface: String = "eth0", address: String = "198.18.0.100/24",
                    track: [TrackEntry] = [], garp: GARPConfig = GARPConfig(count: 3, delay: .milliseconds(200)),
                    notify: String? = nil, preempt: Bool = true) -> VIPConfig {
        VIPConfig(name: name, vrid: vrid, interface: interface, addresses: [IPNetwork(address)!],
                  priorities: ["ctl1": 150, "ctl2": 100], preempt: preempt, track: track, garp: garp, notify: notify)
    }

    var sensors: VIPRuntime.Sensors {
        VIPRuntime.Sensors(drained: { self.drained }, checkStatus: { name, _ in self.checks[name] },
                           advertSource: { self.sources[$0.name] ?? .ready($0.machine.parameters.primaryAddress) },
                           wallTime: { 1_700_000_000 })
    }

    /// Feeds one input now; returns its effects without logs and counts.
    @discardableResult
    func feed(_ input: VIPRuntime.Input) -> [VIPRuntime.Effect] {
        let now = clock.now
        let effects = runtime.handle(input, now: now, sensors: sensors)
        timeline += effects.map { (now, $0) }
        return effects.filter(\.isAction)
    }

    /// Advances the clock by `duration`, ticking at every deadline that falls within it and at the end;
    /// returns the effects (without logs and counts) with their instants.
    @discardableResult
    func run(for duration: Duration) -> [(at: MonotonicInstant, effect: VIPRuntime.Effect)] {
        let end = clock.now + duration
        var out: [(at: MonotonicInstant, effect: VIPRuntime.Effect)] = []
        while true {
            let next = min(runtime.nextDeadline, end)
            if next > clock.now { clock.advance(to: next) }
            out += feed(.tick).map { (clock.now, $0) }
            if clock.now >= end { return out }
        }
    }

    func state(_ name: String = "public") -> VRRPStateMachine.State? { runtime.instance(named: name)?.machine.state }

    var logs: [String] {
        timeline.compactMap { if case .log(_, let message, _) = $0.effect { message } else { nil } }
    }

    /// A VRRPv3 advert from `source` for `vrid`, as the socket would hand it over.
    static func advert(from source: IPAddress, vrid: UInt8 = 51, priority: UInt8, address: String = "198.18.0.100") throws -> ReceivedDatagram {
        let advert = VRRPAdvertisement(version: 3, vrid: vrid, priority: priority, maxAdvertInterval: .milliseconds(100),
                                       addresses: [ip(address)], authPass: nil)
        let group = VRRPCodec.multicastGroupIPv4
        let message = try VRRPCodec.encode(advert, source: source, destination: group)
        return ReceivedDatagram(source: source, destination: group, ttl: 255, message: message)
    }

    static let socket = VIPInstance.SocketKey(interface: "eth0", family: .v4)
}

extension VIPRuntime.Effect {
    /// Not a log line or a metric.
    var isAction: Bool {
        switch self {
        case .log, .count: false
        default: true
        }
    }
}
