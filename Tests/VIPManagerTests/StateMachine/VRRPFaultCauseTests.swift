import HACore
import Testing
import VIPManager

/// The fault event's cause is only the transition's reason text: each cause has its own, a new cause
/// while already faulted changes nothing, and a start while faulted names the latest cause.
@Suite("VRRP state machine: fault causes")
struct VRRPFaultCauseTests {
    typealias T = VRRPTesting

    static func backup() -> VRRPStateMachine {
        var machine = VRRPStateMachine(parameters: T.parameters())
        _ = machine.handle(.startup, now: T.t(1000))
        return machine
    }

    @Test("each cause has its own reason text", arguments: [
        (VRRPStateMachine.FaultCause.trackedCheck, "fault: tracked check failed"),
        (.linkDown(interface: "eth0"), "fault: interface eth0 is down or has no carrier"),
        (.socketFailed(interface: "eth0"), "fault: vrrp socket on eth0 cannot be opened"),
        (.noAdvertSource("no IPv6 link-local address on eth0"), "fault: no IPv6 link-local address on eth0"),
    ])
    func reasons(cause: VRRPStateMachine.FaultCause, reason: String) {
        var machine = Self.backup()
        #expect(machine.handle(.fault(true, cause: cause), now: T.t(1100)) == [.transition(from: .backup, to: .fault, reason: reason)])
        #expect(machine.faultCause == cause)
    }

    @Test("a new cause while faulted is recorded without a transition; a restart names it")
    func causeWhileFaulted() {
        var machine = Self.backup()
        _ = machine.handle(.fault(true, cause: .trackedCheck), now: T.t(1100))
        #expect(machine.handle(.fault(true, cause: .linkDown(interface: "eth0")), now: T.t(1200)).isEmpty)
        _ = machine.handle(.shutdown, now: T.t(1300))
        #expect(machine.handle(.startup, now: T.t(1400))
                == [.transition(from: .initialize, to: .fault, reason: "fault: interface eth0 is down or has no carrier")])
    }
}
