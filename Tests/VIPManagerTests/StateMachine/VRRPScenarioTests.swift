import HACore
import Testing
import VIPManager

/// Two or three machines against each other on a ``VirtualLAN``: election, failover, preemption,
/// handover, tracking and faults, on virtual time.
@Suite struct VRRPScenarioTests {
    typealias Machine = VRRPStateMachine

    /// The reference layout: ctl1 150, ctl2 100, ctl3 50, 100 ms, preempt.
    static func reference(preempt: Bool = true, preemptDelay: Duration = .zero) -> VirtualLAN {
        VirtualLAN([
            ("ctl1", VRRPTesting.parameters(priority: 150, preempt: preempt, preemptDelay: preemptDelay,
                                            address: VRRPTesting.ctl1)),
            ("ctl2", VRRPTesting.parameters(priority: 100, preempt: preempt, address: VRRPTesting.ctl2)),
            ("ctl3", VRRPTesting.parameters(priority: 50, preempt: preempt, address: VRRPTesting.ctl3)),
        ])
    }

    /// The reference layout started together and converged on ctl1.
    static func converged(preempt: Bool = true, preemptDelay: Duration = .zero) -> VirtualLAN {
        var lan = reference(preempt: preempt, preemptDelay: preemptDelay)
        lan.start("ctl1", "ctl2", "ctl3")
        lan.advance(by: .seconds(2))
        return lan
    }

    static func expectSettled(_ lan: VirtualLAN, master: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(lan.masters == [master], sourceLocation: sourceLocation)
        #expect(lan.holders == [master], sourceLocation: sourceLocation)
        let address = lan.machine(master).parameters.primaryAddress
        // Nodes that are not started or cannot serve stay out of it; the tests check them themselves.
        let electing = lan.nodes.filter { $0.powered && ![.initialize, .fault].contains($0.machine.state) }
        for node in electing where node.name != master {
            #expect(node.machine.state == .backup, "\(node.name)", sourceLocation: sourceLocation)
            #expect(node.machine.masterAddress == address, "\(node.name)", sourceLocation: sourceLocation)
        }
    }

    /// No instant without a holder after `instant`.
    static func expectNoGap(_ lan: VirtualLAN, since instant: MonotonicInstant,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let sets = lan.holders(since: instant)
        #expect(!sets.contains { $0.isEmpty }, "holders: \(sets)", sourceLocation: sourceLocation)
    }

    // MARK: Election

    @Test func threeNodesElectTheHighestPriorityOnce() {
        var lan = Self.converged()
        Self.expectSettled(lan, master: "ctl1")
        // ctl1's Master_Down ran out first (3 * 100 ms + 106/256 * 100 ms) and nobody else ever tried.
        #expect(lan.transitions(to: .master, of: "ctl1").map(\.at) == [VRRPTesting.t(1341.40625)])
        #expect(lan.transitions.filter { $0.to == .master }.count == 1)
        lan.advance(by: .seconds(10))
        Self.expectSettled(lan, master: "ctl1")
    }

    @Test func aLaterHigherPriorityNodePreemptsWithoutAGap() {
        var lan = Self.reference()
        lan.start("ctl3")
        lan.advance(by: .seconds(1))
        Self.expectSettled(lan, master: "ctl3")
        let joined = lan.now
        lan.start("ctl1")
        lan.advance(by: .seconds(1))
        lan.start("ctl2")
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl1")
        Self.expectNoGap(lan, since: joined)
        #expect(lan.holders(since: joined).contains(["ctl1", "ctl3"]))
        // Preemption is the RFC path: ctl1's Master_Down ran out while it discarded ctl3's adverts.
        #expect(lan.transitions(to: .master, of: "ctl1").map(\.at) == [joined + .nanoseconds(341_406_250)])
    }

    /// Start offsets (ms) of ctl1, ctl2, ctl3: whoever comes first, the highest priority ends up
    /// the only Master, and from its first acquisition on the addresses are never unheld.
    @Test(arguments: [
        [0, 0, 0], [0, 400, 800], [800, 400, 0], [400, 0, 0], [341, 360, 380], [1000, 0, 500], [5, 3, 1],
    ])
    func whateverTheStartOrderTheHighestPriorityEndsAlone(offsets: [Int]) {
        var lan = Self.reference()
        let origin = lan.now
        let order = zip(["ctl1", "ctl2", "ctl3"], offsets).sorted { $0.1 < $1.1 }
        for (name, offset) in order {
            lan.advance(to: origin + .milliseconds(offset))
            lan.start(name)
        }
        lan.advance(by: .seconds(3))
        Self.expectSettled(lan, master: "ctl1")
        #expect(!lan.holderTrace.isEmpty)
        #expect(!lan.holderTrace.contains { $0.holders.isEmpty }, "\(lan.holderTrace.map(\.holders))")
    }

    @Test func equalPrioritiesBreakTheTieOnTheHigherAddress() {
        var lan = VirtualLAN([
            ("ctl1", VRRPTesting.parameters(priority: 100, address: VRRPTesting.ctl1)),
            ("ctl2", VRRPTesting.parameters(priority: 100, address: VRRPTesting.ctl2)),
        ])
        lan.start("ctl1", "ctl2")
        lan.advance(by: .seconds(2))
        // Both timed out at the same instant and became Master; the lower address yielded.
        #expect(lan.transitions(to: .master, of: "ctl1").count == 1)
        #expect(lan.transitions(to: .master, of: "ctl2").count == 1)
        #expect(lan.transitions(to: .backup, of: "ctl1").count == 2)
        Self.expectSettled(lan, master: "ctl2")
    }

    // MARK: Failover and return

    @Test func failoverWithinMasterDownIntervalAfterPowerLoss() throws {
        var lan = Self.converged()
        let downInterval = lan.machine("ctl2").masterDownInterval
        #expect(downInterval == .nanoseconds(360_937_500))
        let crash = lan.now
        lan.powerOff("ctl1")
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl2")
        let takeover = try #require(lan.transitions(to: .master, of: "ctl2").first).at
        #expect(takeover > crash)
        #expect(takeover - crash <= downInterval)
        #expect(lan.transitions(to: .master, of: "ctl3").isEmpty)
    }

    @Test func theReturningHigherPriorityNodePreempts() {
        var lan = Self.converged()
        lan.powerOff("ctl1")
        lan.advance(by: .seconds(2))
        let back = lan.now
        lan.powerOn("ctl1")
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl1")
        Self.expectNoGap(lan, since: back)
        #expect(lan.holders(since: back).contains(["ctl1", "ctl2"]))
    }

    @Test func noPreemptionWhenPreemptIsOff() {
        var lan = Self.converged(preempt: false)
        Self.expectSettled(lan, master: "ctl1")
        lan.powerOff("ctl1")
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl2")
        let back = lan.now
        lan.powerOn("ctl1")
        lan.advance(by: .seconds(10))
        Self.expectSettled(lan, master: "ctl2")
        Self.expectNoGap(lan, since: back)
        #expect(lan.transitions(to: .master, of: "ctl1").count == 1)   // only the first election
    }

    @Test func preemptDelayHoldsOffTheReturningNode() throws {
        var lan = Self.converged(preemptDelay: .seconds(5))
        lan.powerOff("ctl1")
        lan.advance(by: .seconds(2))
        let back = lan.now
        lan.powerOn("ctl1")
        lan.advance(by: .seconds(4))
        Self.expectSettled(lan, master: "ctl2")
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl1")
        let preempted = try #require(lan.transitions(to: .master, of: "ctl1").last).at
        // Eligible from ctl2's first advert (< 100 ms after boot), then Master_Down_Interval more.
        #expect(preempted - back >= .seconds(5))
        #expect(preempted - back <= .seconds(5) + .milliseconds(100) + lan.machine("ctl2").masterDownInterval)
        Self.expectNoGap(lan, since: back)
    }

    @Test func aBackupLearnsTheMastersIntervalAndFailsOverFast() throws {
        var lan = VirtualLAN([
            ("ctl1", VRRPTesting.parameters(priority: 150, address: VRRPTesting.ctl1)),
            ("ctl2", VRRPTesting.parameters(priority: 100, interval: .seconds(1), address: VRRPTesting.ctl2)),
        ])
        lan.start("ctl1")
        lan.advance(by: .seconds(1))
        lan.start("ctl2")
        lan.advance(by: .seconds(5))
        Self.expectSettled(lan, master: "ctl1")
        #expect(lan.machine("ctl2").masterAdvertInterval == .milliseconds(100))
        let crash = lan.now
        lan.powerOff("ctl1")
        lan.advance(by: .seconds(5))
        let takeover = try #require(lan.transitions(to: .master, of: "ctl2").first).at
        #expect(takeover - crash <= .nanoseconds(360_937_500))   // 3 * 100 ms + 156/256 * 100 ms, not 3.6 s
    }

    // MARK: Planned moves

    @Test func handoverHoldsTheAddressesOnBothAndNeverOnNone() {
        var lan = Self.converged()
        let start = lan.now
        lan.inject(.priorityAdjusted(250), to: "ctl2")
        lan.inject(.takeover, to: "ctl2")
        Self.expectSettled(lan, master: "ctl2")   // all at the same instant
        #expect(lan.holders(since: start) == [["ctl1"], ["ctl1", "ctl2"], ["ctl2"]])
        lan.advance(by: .seconds(5))
        Self.expectSettled(lan, master: "ctl2")
        Self.expectNoGap(lan, since: start)
    }

    @Test func gracefulStopIsAHandoverFollowedByShutdown() {
        var lan = Self.converged()
        let start = lan.now
        lan.inject(.priorityAdjusted(250), to: "ctl2")
        lan.inject(.takeover, to: "ctl2")
        lan.inject(.shutdown, to: "ctl1")
        lan.advance(by: .seconds(3))
        Self.expectSettled(lan, master: "ctl2")
        #expect(lan.machine("ctl1").state == .initialize)
        Self.expectNoGap(lan, since: start)
    }

    @Test func aPlainShutdownLeavesAGapOfSkewTime() throws {
        // Why the agent hands over before it stops: priority 0 only shortens the wait to Skew_Time.
        var lan = Self.converged()
        let stop = lan.now
        lan.inject(.shutdown, to: "ctl1")
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl2")
        let takeover = try #require(lan.transitions(to: .master, of: "ctl2").first).at
        #expect(takeover - stop == lan.machine("ctl2").skewTime)
        #expect(lan.holders(since: stop) == [["ctl1"], [], ["ctl2"]])
    }

    // MARK: Tracking and faults

    @Test func aFailingTrackedCheckLetsTheNextBackupPreempt() throws {
        var lan = Self.converged()
        let start = lan.now
        lan.inject(.priorityAdjusted(150 - 60), to: "ctl1")
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl2")
        Self.expectNoGap(lan, since: start)
        let takeover = try #require(lan.transitions(to: .master, of: "ctl2").first).at
        #expect(takeover - start <= lan.machine("ctl3").masterDownInterval)
        // Recovery: ctl1 is back to 150 and preempts again.
        let recovered = lan.now
        lan.inject(.priorityAdjusted(150), to: "ctl1")
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl1")
        Self.expectNoGap(lan, since: recovered)
    }

    @Test func aFaultReleasesAtOnceAndRecoveryPreempts() throws {
        var lan = Self.converged()
        let fault = lan.now
        lan.inject(.fault(true), to: "ctl1")
        #expect(lan.machine("ctl1").state == .fault)
        #expect(!lan.holders.contains("ctl1"))
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl2")
        let takeover = try #require(lan.transitions(to: .master, of: "ctl2").first).at
        #expect(takeover - fault == lan.machine("ctl2").skewTime)
        lan.inject(.fault(false), to: "ctl1")
        #expect(lan.machine("ctl1").state == .backup)
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl1")
    }

    @Test func drainWithPriorityZeroHandsTheRoleOn() {
        var lan = Self.converged()
        lan.inject(.priorityAdjusted(0), to: "ctl1")
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl2")
        #expect(lan.machine("ctl1").state == .fault)
        lan.inject(.priorityAdjusted(150), to: "ctl1")
        lan.advance(by: .seconds(2))
        Self.expectSettled(lan, master: "ctl1")
    }
}
