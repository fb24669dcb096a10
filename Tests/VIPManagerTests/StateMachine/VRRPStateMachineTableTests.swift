import HACore
import Testing
import VIPManager

/// Table test of every transition of RFC 5798 §6.4.1-6.4.3 (as updated by RFC 9568) plus Fault,
/// takeover, priority changes, preempt off, preempt_delay, address ties and interval learning.
///
/// Each row drives a fresh machine through `given` steps, then applies `event` at `at` and checks the
/// state, the returned actions and the next deadline (and, where set, priority, learned interval and
/// believed Master). Times are milliseconds; with priority 100 and 100 ms, Skew_Time is
/// 156 * 100 / 256 = 60.9375 ms and Master_Down_Interval 360.9375 ms.
@Suite struct VRRPStateMachineTableTests {
    typealias Machine = VRRPStateMachine
    typealias Action = Machine.Action

    struct Step: Sendable {
        var event: Machine.Event
        var at: Double
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var parameters = VRRPTesting.parameters()
        var given: [Step]
        var event: Machine.Event
        var at: Double
        var state: Machine.State
        var actions: [Action]
        var deadline: Double?
        var priority: Int?
        var masterInterval: Duration?
        var master: IPAddress??
        var testDescription: String { name }
    }

    static func s(_ event: Machine.Event, _ at: Double) -> Step { Step(event: event, at: at) }
    static func advert(_ priority: UInt8, from source: IPAddress = VRRPTesting.ctl3,
                       interval: Duration = .milliseconds(100)) -> Machine.Event {
        VRRPTesting.advert(priority, from: source, interval: interval)
    }

    static let ctl1 = VRRPTesting.ctl1
    static let ctl2 = VRRPTesting.ctl2
    static let ctl3 = VRRPTesting.ctl3

    /// Started at 1000 ms: Backup, Master_Down timer at 1360.9375.
    static let backup = [s(.startup, 1000)]
    /// Master_Down fired at 1360.9375: Master, Adver timer at 1460.9375.
    static let master = backup + [s(.timerFired, 1360.9375)]
    static let faulted = backup + [s(.fault(true), 1100)]
    static let zeroPriority = backup + [s(.priorityAdjusted(0), 1100)]
    static let owner = VRRPTesting.parameters(priority: 255)

    static let becomeMaster100: [Action] = [.addAddresses, .announce, .sendAdvert(priority: 100)]
    static let releaseWithZero: [Action] = [.sendAdvert(priority: 0), .removeAddresses]

    // MARK: §6.4.1 Initialize

    static let initializeRows: [Row] = [
        Row(name: "initialize + startup -> backup with Master_Down from our own interval", given: [],
            event: .startup, at: 1000, state: .backup,
            actions: [.transition(from: .initialize, to: .backup, reason: "startup")], deadline: 1360.9375,
            masterInterval: .milliseconds(100), master: .some(nil)),
        Row(name: "initialize + startup as owner (255) -> master at once", parameters: owner, given: [],
            event: .startup, at: 1000, state: .master,
            actions: [.addAddresses, .announce, .sendAdvert(priority: 255),
                      .transition(from: .initialize, to: .master, reason: "startup as address owner")],
            deadline: 1100, master: .some(ctl2)),
        Row(name: "initialize + startup with a failing check -> fault", given: [s(.fault(true), 900)],
            event: .startup, at: 1000, state: .fault,
            actions: [.transition(from: .initialize, to: .fault, reason: "fault: tracked check failed")],
            deadline: nil),
        Row(name: "initialize + startup with priority 0 -> fault", given: [s(.priorityAdjusted(0), 900)],
            event: .startup, at: 1000, state: .fault,
            actions: [.transition(from: .initialize, to: .fault, reason: "priority 0: cannot serve")],
            deadline: nil, priority: 0),
        Row(name: "initialize + startup after a priority change uses it for Skew_Time",
            given: [s(.priorityAdjusted(200), 900)], event: .startup, at: 1000, state: .backup,
            actions: [.transition(from: .initialize, to: .backup, reason: "startup")],
            deadline: 1321.875, priority: 200),
        Row(name: "initialize + fault(true) is recorded, not a start", given: [], event: .fault(true), at: 1000,
            state: .initialize, actions: [], deadline: nil),
        Row(name: "initialize + advert is ignored", given: [], event: advert(200), at: 1000,
            state: .initialize, actions: [], deadline: nil),
        Row(name: "initialize + timer is ignored", given: [], event: .timerFired, at: 1000,
            state: .initialize, actions: [], deadline: nil),
        Row(name: "initialize + shutdown does nothing", given: [], event: .shutdown, at: 1000,
            state: .initialize, actions: [], deadline: nil),
        Row(name: "initialize + takeover is refused", given: [], event: .takeover, at: 1000,
            state: .initialize, actions: [], deadline: nil),
        Row(name: "restart forgets the learned interval",
            given: backup + [s(advert(200, interval: .milliseconds(50)), 1100), s(.shutdown, 1200)],
            event: .startup, at: 2000, state: .backup,
            actions: [.transition(from: .initialize, to: .backup, reason: "startup")], deadline: 2360.9375,
            masterInterval: .milliseconds(100)),
    ]

    // MARK: §6.4.2 Backup

    static let backupRows: [Row] = [
        Row(name: "backup + shutdown -> initialize, timer cancelled", given: backup, event: .shutdown, at: 1100,
            state: .initialize, actions: [.transition(from: .backup, to: .initialize, reason: "shutdown")],
            deadline: nil),
        Row(name: "backup + early timer is ignored", given: backup, event: .timerFired, at: 1360,
            state: .backup, actions: [], deadline: 1360.9375),
        Row(name: "backup + Master_Down timer -> master, Adver timer from now", given: backup,
            event: .timerFired, at: 1360.9375, state: .master,
            actions: becomeMaster100 + [.transition(from: .backup, to: .master,
                                                    reason: "master down timer expired")],
            deadline: 1460.9375, master: .some(ctl2)),
        Row(name: "backup + late timer rearms from now", given: backup, event: .timerFired, at: 1500,
            state: .master,
            actions: becomeMaster100 + [.transition(from: .backup, to: .master,
                                                    reason: "master down timer expired")],
            deadline: 1600),
        Row(name: "backup + priority 0 advert -> Master_Down timer at Skew_Time",
            given: backup + [s(advert(200), 1100)], event: advert(0), at: 1200, state: .backup, actions: [],
            deadline: 1260.9375, master: .some(nil)),
        Row(name: "backup + higher priority advert resets the timer and learns the master", given: backup,
            event: advert(200), at: 1100, state: .backup, actions: [], deadline: 1460.9375,
            master: .some(ctl3)),
        Row(name: "backup + equal priority advert (lower address) is accepted, not preempted", given: backup,
            event: advert(100, from: ctl1), at: 1100, state: .backup, actions: [], deadline: 1460.9375,
            master: .some(ctl1)),
        Row(name: "backup + lower priority advert with preempt is discarded: timer keeps running",
            given: backup, event: advert(50, from: ctl1), at: 1100, state: .backup, actions: [],
            deadline: 1360.9375, master: .some(ctl1)),
        Row(name: "backup + lower priority advert without preempt resets the timer",
            parameters: VRRPTesting.parameters(preempt: false), given: backup,
            event: advert(50, from: ctl1), at: 1100, state: .backup, actions: [], deadline: 1460.9375),
        Row(name: "backup v3 with 1 s learns 100 ms and times out at 3 * 100 ms + skew",
            parameters: VRRPTesting.parameters(interval: .seconds(1)), given: backup,
            event: advert(200, interval: .milliseconds(100)), at: 1100, state: .backup, actions: [],
            deadline: 1460.9375, masterInterval: .milliseconds(100)),
        Row(name: "backup v3 learned 100 ms: the Master_Down timer fires then",
            parameters: VRRPTesting.parameters(interval: .seconds(1)),
            given: backup + [s(advert(200, interval: .milliseconds(100)), 1100)],
            event: .timerFired, at: 1460.9375, state: .master,
            actions: becomeMaster100 + [.transition(from: .backup, to: .master,
                                                    reason: "master down timer expired")],
            deadline: 2460.9375, masterInterval: .seconds(1)),
        Row(name: "backup v3 with 1 s before learning uses 3 s + skew",
            parameters: VRRPTesting.parameters(interval: .seconds(1)), given: [], event: .startup, at: 1000,
            state: .backup, actions: [.transition(from: .initialize, to: .backup, reason: "startup")],
            deadline: 4609.375),
        Row(name: "backup v2 does not learn; skew is (256 - p) / 256 s",
            parameters: VRRPTesting.parameters(interval: .seconds(1), version: 2), given: backup,
            event: advert(200, interval: .milliseconds(100)), at: 1100, state: .backup, actions: [],
            deadline: 4709.375, masterInterval: .seconds(1)),
        Row(name: "backup learns a longer interval too (200 ms)", given: backup,
            event: advert(200, interval: .milliseconds(200)), at: 1100, state: .backup, actions: [],
            deadline: 1821.875, masterInterval: .milliseconds(200)),
        Row(name: "backup + advert with interval 0 is discarded", given: backup,
            event: advert(200, interval: .zero), at: 1100, state: .backup, actions: [], deadline: 1360.9375,
            master: .some(nil)),
        Row(name: "backup + own advert looped back is discarded", given: backup,
            event: advert(200, from: ctl2), at: 1100, state: .backup, actions: [], deadline: 1360.9375),
        Row(name: "backup owner preempts even with preempt off",
            parameters: VRRPTesting.parameters(priority: 255, preempt: false),
            given: [s(.startup, 1000), s(advert(255, from: ctl3), 1050)],
            event: advert(200, from: ctl1), at: 1100, state: .backup, actions: [], deadline: 1350.390625),
        Row(name: "backup + takeover -> master at once, ignoring preempt and Master_Down",
            parameters: VRRPTesting.parameters(preempt: false), given: backup + [s(advert(200), 1100)],
            event: .takeover, at: 1150, state: .master,
            actions: becomeMaster100 + [.transition(from: .backup, to: .master, reason: "takeover")],
            deadline: 1250, master: .some(ctl2)),
        Row(name: "backup + fault(true) -> fault, silent", given: backup, event: .fault(true), at: 1100,
            state: .fault,
            actions: [.transition(from: .backup, to: .fault, reason: "fault: tracked check failed")],
            deadline: nil),
        Row(name: "backup + priority 0 -> fault", given: backup, event: .priorityAdjusted(0), at: 1100,
            state: .fault, actions: [.transition(from: .backup, to: .fault, reason: "priority 0: cannot serve")],
            deadline: nil, priority: 0),
        Row(name: "backup + priority change keeps the running timer", given: backup,
            event: .priorityAdjusted(120), at: 1100, state: .backup, actions: [], deadline: 1360.9375,
            priority: 120),
        Row(name: "backup raised above the master discards its next advert (preemption)",
            given: backup + [s(advert(150), 1100), s(.priorityAdjusted(200), 1150)],
            event: advert(150), at: 1200, state: .backup, actions: [], deadline: 1460.9375, priority: 200),
        Row(name: "backup lowered below the master accepts its adverts again",
            given: backup + [s(.priorityAdjusted(200), 1050), s(advert(150), 1100),
                             s(.priorityAdjusted(120), 1150)],
            event: advert(150), at: 1200, state: .backup, actions: [], deadline: 1553.125, priority: 120),
        Row(name: "backup + startup again does nothing", given: backup, event: .startup, at: 1100,
            state: .backup, actions: [], deadline: 1360.9375),
        Row(name: "backup + fault(false) without a fault does nothing", given: backup, event: .fault(false),
            at: 1100, state: .backup, actions: [], deadline: 1360.9375),
    ]

    // MARK: preempt_delay (5 s)

    static let delayed = VRRPTesting.parameters(preemptDelay: .seconds(5))
    /// Lower-priority adverts every 100 ms from 1100 through `last` (eligible since 1100).
    static func lowerAdverts(through last: Int, from first: Int = 1100) -> [Step] {
        stride(from: first, through: last, by: 100).map { s(advert(50, from: ctl1), Double($0)) }
    }

    static let preemptDelayRows: [Row] = [
        Row(name: "preempt_delay: lower adverts reset the timer during the hold-off", parameters: delayed,
            given: backup + lowerAdverts(through: 6000), event: advert(50, from: ctl1), at: 6050,
            state: .backup, actions: [], deadline: 6410.9375),
        Row(name: "preempt_delay: once it has passed, lower adverts are discarded", parameters: delayed,
            given: backup + lowerAdverts(through: 6000), event: advert(50, from: ctl1), at: 6100,
            state: .backup, actions: [], deadline: 6360.9375),
        Row(name: "preempt_delay: then Master_Down fires", parameters: delayed,
            given: backup + lowerAdverts(through: 6200), event: .timerFired, at: 6360.9375, state: .master,
            actions: becomeMaster100 + [.transition(from: .backup, to: .master,
                                                    reason: "master down timer expired")],
            deadline: 6460.9375),
        Row(name: "preempt_delay: a higher advert restarts the hold-off", parameters: delayed,
            given: backup + lowerAdverts(through: 3000) + [s(advert(200), 3050)]
                + lowerAdverts(through: 8000, from: 3100),
            event: advert(50, from: ctl1), at: 8050, state: .backup, actions: [], deadline: 8410.9375),
        Row(name: "preempt_delay does not delay taking over from a silent master", parameters: delayed,
            given: backup + [s(advert(50, from: ctl1), 1100)], event: .timerFired, at: 1460.9375,
            state: .master,
            actions: becomeMaster100 + [.transition(from: .backup, to: .master,
                                                    reason: "master down timer expired")],
            deadline: 1560.9375),
    ]

    // MARK: §6.4.3 Master

    static let masterRows: [Row] = [
        Row(name: "master + Adver timer -> advert, rearmed", given: master, event: .timerFired, at: 1460.9375,
            state: .master, actions: [.sendAdvert(priority: 100)], deadline: 1560.9375),
        Row(name: "master + early timer is ignored", given: master, event: .timerFired, at: 1400,
            state: .master, actions: [], deadline: 1460.9375),
        Row(name: "master + shutdown -> priority 0 advert, release, initialize", given: master,
            event: .shutdown, at: 1400, state: .initialize,
            actions: releaseWithZero + [.transition(from: .master, to: .initialize, reason: "shutdown")],
            deadline: nil, master: .some(nil)),
        Row(name: "master + priority 0 advert -> advert at once, rearmed", given: master, event: advert(0),
            at: 1400, state: .master, actions: [.sendAdvert(priority: 100)], deadline: 1500),
        Row(name: "master + higher priority advert -> backup, release, learned Master_Down", given: master,
            event: advert(200, interval: .milliseconds(200)), at: 1400, state: .backup,
            actions: [.removeAddresses,
                      .transition(from: .master, to: .backup,
                                  reason: "higher priority 200 advertisement from 198.18.0.13")],
            deadline: 2121.875, masterInterval: .milliseconds(200), master: .some(ctl3)),
        Row(name: "master + equal priority from a higher address -> backup", given: master,
            event: advert(100, from: ctl3), at: 1400, state: .backup,
            actions: [.removeAddresses,
                      .transition(from: .master, to: .backup,
                                  reason: "equal priority 100 advertisement from higher address 198.18.0.13")],
            deadline: 1760.9375, master: .some(ctl3)),
        Row(name: "master + equal priority from a lower address -> stays, asserts and re-announces",
            given: master, event: advert(100, from: ctl1), at: 2400, state: .master,
            actions: [.sendAdvert(priority: 100), .announce], deadline: 1460.9375, master: .some(ctl2)),
        Row(name: "master + lower priority advert -> stays, asserts at once (RFC 9568), re-announces",
            given: master, event: advert(50, from: ctl3), at: 2400, state: .master,
            actions: [.sendAdvert(priority: 100), .announce], deadline: 1460.9375),
        Row(name: "master + lower priority advert within the hold-off: advert only, no GARP",
            given: master + [s(advert(50, from: ctl1), 2400)], event: advert(50, from: ctl1), at: 2500,
            state: .master, actions: [.sendAdvert(priority: 100)], deadline: 1460.9375),
        Row(name: "master + lower advert right after becoming master: advert only", given: master,
            event: advert(50, from: ctl1), at: 1400, state: .master, actions: [.sendAdvert(priority: 100)],
            deadline: 1460.9375),
        Row(name: "master + own advert looped back is ignored", given: master, event: advert(100, from: ctl2),
            at: 2400, state: .master, actions: [], deadline: 1460.9375),
        Row(name: "master + fault(true) -> priority 0 advert, release, fault", given: master,
            event: .fault(true), at: 1400, state: .fault,
            actions: releaseWithZero + [.transition(from: .master, to: .fault,
                                                    reason: "fault: tracked check failed")],
            deadline: nil, master: .some(nil)),
        Row(name: "master + priority dropped -> stays, advertises it at once", given: master,
            event: .priorityAdjusted(60), at: 1400, state: .master, actions: [.sendAdvert(priority: 60)],
            deadline: 1500, priority: 60),
        Row(name: "master + priority raised -> advertises it at once", given: master,
            event: .priorityAdjusted(220), at: 1400, state: .master, actions: [.sendAdvert(priority: 220)],
            deadline: 1500, priority: 220),
        Row(name: "master + priority 0 -> release like a fault", given: master, event: .priorityAdjusted(0),
            at: 1400, state: .fault,
            actions: releaseWithZero + [.transition(from: .master, to: .fault,
                                                    reason: "priority 0: cannot serve")],
            deadline: nil, priority: 0),
        Row(name: "master + priority above 254 is clamped to 254", given: master,
            event: .priorityAdjusted(500), at: 1400, state: .master, actions: [.sendAdvert(priority: 254)],
            deadline: 1500, priority: 254),
        Row(name: "master + negative priority is clamped to 1", given: master, event: .priorityAdjusted(-20),
            at: 1400, state: .master, actions: [.sendAdvert(priority: 1)], deadline: 1500, priority: 1),
        Row(name: "master + unchanged priority does nothing", given: master, event: .priorityAdjusted(100),
            at: 1400, state: .master, actions: [], deadline: 1460.9375),
        Row(name: "master + takeover does nothing", given: master, event: .takeover, at: 1400,
            state: .master, actions: [], deadline: 1460.9375),
        Row(name: "master + startup does nothing", given: master, event: .startup, at: 1400,
            state: .master, actions: [], deadline: 1460.9375),
        Row(name: "owner master keeps 255 when its tracking is unchanged", parameters: owner,
            given: [s(.startup, 1000)], event: .priorityAdjusted(255), at: 1050, state: .master, actions: [],
            deadline: 1100, priority: 255),
        Row(name: "owner master lowered by tracking advertises the lower value", parameters: owner,
            given: [s(.startup, 1000)], event: .priorityAdjusted(195), at: 1050, state: .master,
            actions: [.sendAdvert(priority: 195)], deadline: 1150, priority: 195),
        Row(name: "owner master yields to another owner with a higher address", parameters: owner,
            given: [s(.startup, 1000)], event: advert(255, from: ctl3), at: 1050, state: .backup,
            actions: [.removeAddresses,
                      .transition(from: .master, to: .backup,
                                  reason: "equal priority 255 advertisement from higher address 198.18.0.13")],
            deadline: 1350.390625),
    ]

    // MARK: Fault

    static let faultRows: [Row] = [
        Row(name: "fault + fault(false) -> backup with a fresh Master_Down timer", given: faulted,
            event: .fault(false), at: 2000, state: .backup,
            actions: [.transition(from: .fault, to: .backup, reason: "fault cleared")], deadline: 2360.9375,
            masterInterval: .milliseconds(100)),
        Row(name: "fault + fault(false) for the owner -> master (Initialize rules)", parameters: owner,
            given: [s(.startup, 1000), s(.fault(true), 1100)], event: .fault(false), at: 2000,
            state: .master,
            actions: [.addAddresses, .announce, .sendAdvert(priority: 255),
                      .transition(from: .fault, to: .master, reason: "fault cleared")],
            deadline: 2100),
        Row(name: "fault + fault(false) while priority is 0 stays in fault",
            given: faulted + [s(.priorityAdjusted(0), 1200)], event: .fault(false), at: 2000, state: .fault,
            actions: [], deadline: nil),
        Row(name: "fault (priority 0) + priority restored -> backup", given: zeroPriority,
            event: .priorityAdjusted(90), at: 2000, state: .backup,
            actions: [.transition(from: .fault, to: .backup, reason: "priority 90: can serve again")],
            deadline: 2364.84375, priority: 90),
        Row(name: "fault (check) + priority change stays in fault", given: faulted,
            event: .priorityAdjusted(80), at: 2000, state: .fault, actions: [], deadline: nil, priority: 80),
        Row(name: "fault + advert is ignored", given: faulted, event: advert(200), at: 2000, state: .fault,
            actions: [], deadline: nil, master: .some(nil)),
        Row(name: "fault + timer is ignored", given: faulted, event: .timerFired, at: 2000, state: .fault,
            actions: [], deadline: nil),
        Row(name: "fault + takeover is refused", given: faulted, event: .takeover, at: 2000, state: .fault,
            actions: [], deadline: nil),
        Row(name: "fault + startup does nothing", given: faulted, event: .startup, at: 2000, state: .fault,
            actions: [], deadline: nil),
        Row(name: "fault + fault(true) again does nothing", given: faulted, event: .fault(true), at: 2000,
            state: .fault, actions: [], deadline: nil),
        Row(name: "fault + shutdown -> initialize", given: faulted, event: .shutdown, at: 2000,
            state: .initialize, actions: [.transition(from: .fault, to: .initialize, reason: "shutdown")],
            deadline: nil),
        Row(name: "a fault survives shutdown: the next startup lands in fault",
            given: faulted + [s(.shutdown, 1200)], event: .startup, at: 2000, state: .fault,
            actions: [.transition(from: .initialize, to: .fault, reason: "fault: tracked check failed")],
            deadline: nil),
    ]

    @Test(arguments: initializeRows) func initialize(_ row: Row) { Self.check(row) }
    @Test(arguments: backupRows) func backup(_ row: Row) { Self.check(row) }
    @Test(arguments: preemptDelayRows) func preemptDelay(_ row: Row) { Self.check(row) }
    @Test(arguments: masterRows) func master(_ row: Row) { Self.check(row) }
    @Test(arguments: faultRows) func fault(_ row: Row) { Self.check(row) }

    static func check(_ row: Row, sourceLocation: SourceLocation = #_sourceLocation) {
        var machine = Machine(parameters: row.parameters)
        for step in row.given {
            _ = machine.handle(step.event, now: VRRPTesting.t(step.at))
        }
        let actions = machine.handle(row.event, now: VRRPTesting.t(row.at))
        #expect(machine.state == row.state, sourceLocation: sourceLocation)
        #expect(actions == row.actions, sourceLocation: sourceLocation)
        #expect(machine.nextDeadline == row.deadline.map(VRRPTesting.t), sourceLocation: sourceLocation)
        if let priority = row.priority {
            #expect(machine.effectivePriority == priority, sourceLocation: sourceLocation)
        }
        if let interval = row.masterInterval {
            #expect(machine.masterAdvertInterval == interval, sourceLocation: sourceLocation)
        }
        if let master = row.master {
            #expect(machine.masterAddress == master, sourceLocation: sourceLocation)
        }
    }
}

/// The RFC timer formulas on their own.
@Suite struct VRRPTimerFormulaTests {
    @Test(arguments: [
        (100, 100, 3, 60_937_500, 360_937_500),
        (200, 100, 3, 21_875_000, 321_875_000),
        (255, 100, 3, 390_625, 300_390_625),
        (1, 1000, 3, 996_093_750, 3_996_093_750),
        (100, 1000, 2, 609_375_000, 3_609_375_000),
        (100, 2000, 2, 609_375_000, 6_609_375_000),   // v2 skew does not scale with the interval
    ])
    func skewAndMasterDown(priority: Int, intervalMs: Int, version: Int, skewNs: Int64, downNs: Int64) {
        let machine = VRRPStateMachine(parameters: VRRPTesting.parameters(
            priority: priority, interval: .milliseconds(intervalMs), version: version))
        #expect(machine.skewTime == .nanoseconds(skewNs))
        #expect(machine.masterDownInterval == .nanoseconds(downNs))
    }
}
