import HACore
import VIPManager

/// Shared fixtures for the VRRP state machine tests: addresses, parameters, instants in milliseconds.
enum VRRPTesting {
    typealias Machine = VRRPStateMachine

    /// ctl1 < ctl2 < ctl3 as addresses (the tie-break order).
    static let ctl1 = IPAddress("198.18.0.11")!
    static let ctl2 = IPAddress("198.18.0.12")!
    static let ctl3 = IPAddress("198.18.0.13")!

    /// An instant `ms` milliseconds after the origin; fractions are exact for the dyadic values used.
    static func t(_ ms: Double) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: Int64((ms * 1_000_000).rounded()))
    }

    /// Parameters of the machine under test: by default ctl2, priority 100, 100 ms, preempt, v3.
    static func parameters(priority: Int = 100, interval: Duration = .milliseconds(100), preempt: Bool = true,
                           preemptDelay: Duration = .zero, address: IPAddress = ctl2,
                           version: Int = 3) -> Machine.Parameters {
        Machine.Parameters(vrid: 51, basePriority: priority, advertInterval: interval, preempt: preempt,
                           preemptDelay: preemptDelay, primaryAddress: address, version: version)
    }

    /// An advert from `source` (ctl3 by default) with the 100 ms default interval.
    static func advert(_ priority: UInt8, from source: IPAddress = ctl3,
                       interval: Duration = .milliseconds(100)) -> Machine.Event {
        .advert(priority: priority, maxAdvertInterval: interval, source: source)
    }
}
