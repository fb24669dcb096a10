import Foundation
import HACore
import HATestSupport
import Testing
@testable import ComputeHA

/// The recovery workflow as a value: events in, actions out, on virtual wall time. No I/O, no sleeping.
@Suite("Recovery state machine")
struct RecoveryStateMachineTests {
    static let t0 = WallTime(secondsSinceEpoch: 1_800_000_000)

    /// A recovery of compute1 and the time the test is at.
    struct Run {
        var machine: RecoveryStateMachine
        var now = RecoveryStateMachineTests.t0
        var actions: [RecoveryStateMachine.Action] = []

        init(policy: RecoveryPolicy = RecoveryPolicy()) {
            machine = RecoveryStateMachine(id: "r1", host: "compute1", trigger: .manual, policy: policy, now: now)
        }

        @discardableResult
        mutating func send(_ event: RecoveryStateMachine.Event, after delay: Duration = .zero) -> [RecoveryStateMachine.Action] {
            now = now + delay
            let out = machine.handle(event, now: now)
            actions += out
            return out
        }

        /// Start, fence confirmed, forced down, disabled, listed.
        @discardableResult
        mutating func evacuating(_ servers: [ServerView]) -> [RecoveryStateMachine.Action] {
            send(.start)
            send(.fenceFinished(.confirmedOff), after: .seconds(2))
            send(.forceDownFinished(ok: true, detail: "forced down"))
            send(.disableFinished(ok: true, detail: "disabled"))
            return send(.listed(.success(servers)))
        }
    }

    static func server(_ id: String, status: String = "ACTIVE", ha: String? = "True", host: String? = "compute1",
                       task: String? = nil) -> ServerView {
        ServerView(id: id, name: "vm-\(id)", host: host, status: status, taskState: task,
                   metadata: ha.map { ["HA_Enabled": $0] } ?? [:])
    }

    static func evacuations(_ actions: [RecoveryStateMachine.Action]) -> [String] {
        actions.compactMap { if case .evacuate(let id, _) = $0 { return id } else { return nil } }
    }

    @Test("fence -> force down -> disable + list -> evacuate the HA-enabled -> all ACTIVE elsewhere: recovered")
    func happyPath() {
        var run = Run()
        #expect(run.send(.start) == [.fence(attempt: 1)])
        #expect(run.send(.fenceFinished(.confirmedOff), after: .seconds(2)) == [.forceDown])
        #expect(run.send(.forceDownFinished(ok: true, detail: "")) == [.disable(reason: "hactl recovery r1: compute1 fenced"), .listServers])
        run.send(.disableFinished(ok: true, detail: ""))
        let sent = run.send(.listed(.success([Self.server("a"), Self.server("b", status: "SHUTOFF"), Self.server("c", ha: nil),
                                              Self.server("d", ha: "false")])))
        #expect(sent == [.evacuate(id: "a", target: nil), .evacuate(id: "b", target: nil)])
        #expect(run.machine.phase == .evacuating)
        #expect(run.machine.instances.map(\.progress) == [.requested, .requested, .skipped, .skipped])
        run.send(.evacuateAnswered(id: "a", .accepted))
        run.send(.evacuateAnswered(id: "b", .accepted))
        #expect(run.send(.tick, after: .milliseconds(500)) == [.poll(ids: ["a", "b"])])
        // Still rebuilding: nothing final.
        #expect(run.send(.polled(.success([Self.server("a", host: "compute2", task: "rebuilding"),
                                           Self.server("b", status: "SHUTOFF", host: "compute1", task: "rebuilding")]))) == [])
        run.send(.tick, after: .milliseconds(500))
        let end = run.send(.polled(.success([Self.server("a", host: "compute2"), Self.server("b", status: "SHUTOFF", host: "compute3")])))
        #expect(end == [.finished(.recovered)])
        #expect(run.machine.phase == .recovered)
        #expect(run.machine.instances.map(\.landedOn) == ["compute2", "compute3", nil, nil])
        #expect(run.machine.doneCount == 2 && run.machine.selectedCount == 2)
        #expect(run.machine.finishedAt == run.now)
        #expect(run.machine.timeline.first?.step == .started && run.machine.timeline.last?.step == .finished)
    }

    @Test("nothing touches Nova before the host is confirmed off; a fence that never confirms ends fence_failed, loudly")
    func fenceFailed() {
        var run = Run(policy: RecoveryPolicy(fenceTimeout: .seconds(5), fenceRetryDelay: .seconds(1)))
        run.send(.start)
        var attempts = 1
        for step in 0..<20 {
            let outcome: FenceOutcome = step.isMultiple(of: 2) ? .notConfirmed("Status: ON") : .failed("Connection timed out")
            let out = run.send(.fenceFinished(outcome), after: .seconds(1))
            if run.machine.phase == .fenceFailed {
                #expect(out.count == 2)
                #expect(out.last == .finished(.fenceFailed))
                guard case .alert(let text) = out.first else { Issue.record("no alert: \(out)"); return }
                #expect(text.contains("nothing was evacuated"))
                break
            }
            #expect(out.isEmpty)
            #expect(run.send(.tick, after: .milliseconds(500)).isEmpty, "not before the retry delay")
            #expect(run.send(.tick, after: .milliseconds(500)) == [.fence(attempt: attempts + 1)])
            attempts += 1
        }
        #expect(run.machine.phase == .fenceFailed)
        #expect(run.machine.fenceAttempts == attempts)
        #expect(run.machine.reason?.contains("fence failed after") == true)
        #expect(run.actions.allSatisfy { if case .fence = $0 { true } else if case .alert = $0 { true } else { $0 == .finished(.fenceFailed) } })
        // Ticks and late answers after the end do nothing.
        #expect(run.send(.tick, after: .seconds(30)).isEmpty)
        #expect(run.send(.fenceFinished(.confirmedOff)).isEmpty)
        // An operator's word that the host is off restarts the workflow at isolation.
        #expect(run.send(.confirmOff(by: "alice")) == [.forceDown])
        #expect(run.machine.phase == .isolating)
        #expect(run.machine.fencedBy == "alice")
        #expect(run.machine.reason == nil)
    }

    @Test("a second fence attempt that confirms off goes on; a late answer of the first is ignored")
    func fenceRetrySucceeds() {
        var run = Run()
        run.send(.start)
        run.send(.fenceFinished(.notConfirmed("Status: ON")), after: .seconds(2))
        #expect(run.send(.fenceFinished(.confirmedOff)).isEmpty, "no fence is running: a stray answer")
        #expect(run.send(.tick, after: .seconds(1)) == [.fence(attempt: 2)])
        #expect(run.send(.fenceFinished(.confirmedOff), after: .seconds(2)) == [.forceDown])
        #expect(run.machine.fenceAttempts == 2)
        #expect(run.machine.fencedBy == "bmc")
    }

    @Test("at most `concurrency` evacuations in flight; each final one frees a slot")
    func concurrency() {
        var run = Run(policy: RecoveryPolicy(concurrency: 3))
        let servers = (0..<10).map { Self.server("s\($0)") }
        #expect(Self.evacuations(run.evacuating(servers)) == ["s0", "s1", "s2"])
        for id in ["s0", "s1", "s2"] { #expect(run.send(.evacuateAnswered(id: id, .accepted)).isEmpty) }
        run.send(.tick, after: .seconds(1))
        let next = run.send(.polled(.success([Self.server("s0", host: "compute2"), Self.server("s1", host: "compute1", task: "rebuilding"),
                                              Self.server("s2", host: "compute3")])))
        #expect(Self.evacuations(next) == ["s3", "s4"])
        var inFlightMax = 0
        var guardSteps = 0
        while run.machine.phase == .evacuating, guardSteps < 100 {
            guardSteps += 1
            for record in run.machine.instances where record.progress == .requested {
                run.send(.evacuateAnswered(id: record.id, .accepted))
            }
            inFlightMax = max(inFlightMax, run.machine.instances.filter { [.requested, .accepted].contains($0.progress) }.count)
            run.send(.tick, after: .seconds(1))
            let accepted = run.machine.instances.filter { $0.progress == .accepted }.map { Self.server($0.id, host: "compute2") }
            run.send(.polled(.success(accepted)))
        }
        #expect(run.machine.phase == .recovered)
        #expect(inFlightMax <= 3)
        #expect(Self.evacuations(run.actions).count == 10, "each instance exactly once")
        #expect(Set(Self.evacuations(run.actions)).count == 10)
    }

    @Test("resume after a crash: a requested evacuation is verified with Nova, never sent twice")
    func resumeExactlyOnce() throws {
        var run = Run()
        run.evacuating([Self.server("a"), Self.server("b"), Self.server("c")])
        run.send(.evacuateAnswered(id: "a", .accepted))
        // The agent dies here: b and c are `requested` on record, their answers lost.
        let stored = try JSONEncoder().encode(run.machine)
        var resumed = try JSONDecoder().decode(RecoveryStateMachine.self, from: stored)
        #expect(resumed == run.machine, "the stored state round-trips")
        let now = run.now + .seconds(10)
        let out = resumed.handle(.resume, now: now)
        #expect(out == [.inspect(id: "b"), .inspect(id: "c"), .poll(ids: ["a"])])
        #expect(Self.evacuations(out).isEmpty)
        // b reached Nova (it moved); c never did.
        #expect(resumed.handle(.inspected(id: "b", server: Self.server("b", host: "compute2", task: "rebuilding"),
                                          evacuationRecorded: true), now: now).isEmpty)
        let resend = resumed.handle(.inspected(id: "c", server: Self.server("c"), evacuationRecorded: false), now: now)
        #expect(resend == [.evacuate(id: "c", target: nil)])
        #expect(resumed.instances.first { $0.id == "c" }?.attempts == 1, "the lost attempt does not count")
        _ = resumed.handle(.evacuateAnswered(id: "c", .accepted), now: now)
        _ = resumed.handle(.polled(.success([Self.server("a", host: "compute3", task: "rebuilding")])), now: now)
        _ = resumed.handle(.tick, now: now + .seconds(1))
        let end = resumed.handle(.polled(.success(["a", "b", "c"].map { Self.server($0, host: "compute3") })), now: now + .seconds(1))
        #expect(end == [.finished(.recovered)])
        #expect(resumed.timeline.contains { $0.step == .resumed })
    }

    @Test("resume in each earlier phase redoes the unknown step and nothing else", arguments: [
        (0, [RecoveryStateMachine.Action.fence(attempt: 2)]),
        (1, [.forceDown]),
        (2, [.disable(reason: "hactl recovery r1: compute1 fenced"), .listServers]),
    ])
    func resumeEarlier(stage: Int, expected: [RecoveryStateMachine.Action]) {
        var run = Run()
        run.send(.start)
        if stage >= 1 { run.send(.fenceFinished(.confirmedOff)) }
        if stage >= 2 { run.send(.forceDownFinished(ok: true, detail: "")) }
        #expect(run.send(.resume, after: .seconds(5)) == expected)
    }

    @Test("409 (a task in flight) and 400 (host not yet down) defer without using an attempt; the deferrals are bounded")
    func deferrals() {
        var run = Run(policy: RecoveryPolicy(retryDelay: .seconds(2), maxAttempts: 1, maxDeferrals: 2))
        run.evacuating([Self.server("a")])
        #expect(run.send(.evacuateAnswered(id: "a", .conflict("409 task_state rebooting"))).isEmpty)
        #expect(run.send(.tick, after: .seconds(1)).isEmpty, "not before the retry delay")
        #expect(Self.evacuations(run.send(.tick, after: .seconds(1))) == ["a"])
        run.send(.evacuateAnswered(id: "a", .hostNotDown("400 Compute service of compute1 is still in use.")))
        #expect(Self.evacuations(run.send(.tick, after: .seconds(2))) == ["a"])
        #expect(run.machine.instances[0].attempts == 1)
        let end = run.send(.evacuateAnswered(id: "a", .conflict("409")))
        #expect(end.last == .finished(.partial))
        #expect(run.machine.instances[0].progress == .failed)
        #expect(run.machine.instances[0].reason?.contains("deferred 2 times") == true)
    }

    @Test("ERROR before leaving the host is retried up to maxAttempts, then the recovery is partial; ERROR elsewhere fails at once")
    func errorInstances() {
        var run = Run(policy: RecoveryPolicy(retryDelay: .seconds(1), maxAttempts: 2))
        run.evacuating([Self.server("a"), Self.server("b")])
        run.send(.evacuateAnswered(id: "a", .accepted))
        run.send(.evacuateAnswered(id: "b", .accepted))
        run.send(.tick, after: .seconds(1))
        run.send(.polled(.success([Self.server("a", status: "ERROR"), Self.server("b", status: "ERROR", host: "compute2")])))
        #expect(run.machine.instances.map(\.progress) == [.pending, .failed])
        #expect(Self.evacuations(run.send(.tick, after: .seconds(1))) == ["a"])
        run.send(.evacuateAnswered(id: "a", .accepted))
        run.send(.tick, after: .seconds(1))
        let end = run.send(.polled(.success([Self.server("a", status: "ERROR")])))
        #expect(end.last == .finished(.partial))
        #expect(run.machine.reason == "2 of 2 instance(s) not recovered")
        #expect(Self.evacuations(run.actions) == ["a", "b", "a"])
    }

    @Test("Nova 2.95+: an instance that ran and landed SHUTOFF is started once, then done when ACTIVE")
    func landedStopped() {
        var run = Run()
        run.evacuating([Self.server("a")])
        run.send(.evacuateAnswered(id: "a", .accepted))
        run.send(.tick, after: .seconds(1))
        #expect(run.send(.polled(.success([Self.server("a", status: "SHUTOFF", host: "compute2")]))) == [.startServer(id: "a")])
        run.send(.startAnswered(id: "a", ok: true, detail: "202"))
        run.send(.tick, after: .seconds(1))
        #expect(run.send(.polled(.success([Self.server("a", status: "SHUTOFF", host: "compute2")]))).isEmpty, "started once only")
        run.send(.tick, after: .seconds(1))
        #expect(run.send(.polled(.success([Self.server("a", host: "compute2")]))) == [.finished(.recovered)])
    }

    @Test("an accepted evacuation that never settles fails at evacuationTimeout; a rejected one is retried; deleted ones are skipped")
    func timeoutsAndRejections() {
        var run = Run(policy: RecoveryPolicy(retryDelay: .seconds(1), maxAttempts: 2, evacuationTimeout: .seconds(30)))
        run.evacuating([Self.server("a"), Self.server("b"), Self.server("c")])
        run.send(.evacuateAnswered(id: "a", .accepted))
        run.send(.evacuateAnswered(id: "b", .rejected("500 Internal Server Error")))
        run.send(.evacuateAnswered(id: "c", .notFound))
        #expect(run.machine.instances.map(\.progress) == [.accepted, .pending, .skipped])
        #expect(Self.evacuations(run.send(.tick, after: .seconds(1))) == ["b"])
        run.send(.evacuateAnswered(id: "b", .rejected("500 again")))
        #expect(run.machine.instances[1].progress == .failed)
        run.send(.polled(.success([Self.server("a", task: "rebuilding")])))
        let end = run.send(.tick, after: .seconds(31))
        #expect(end.last == .finished(.partial))
        #expect(run.machine.instances[0].reason?.contains("within") == true)
    }

    @Test("reserved_host: the reserved host is enabled first and every instance targets it; rh_priority falls back to the scheduler")
    func reservedHosts() {
        var run = Run(policy: RecoveryPolicy(method: .reservedHost, reservedHosts: ["compute1", "compute3"]))
        #expect(run.evacuating([Self.server("a"), Self.server("b")]) == [.enableReservedHost("compute3")])
        let sent = run.send(.reservedHostEnabled(host: "compute3", ok: true, detail: "enabled"))
        #expect(sent == [.evacuate(id: "a", target: "compute3"), .evacuate(id: "b", target: "compute3")])

        var fallback = Run(policy: RecoveryPolicy(method: .rhPriority, reservedHosts: ["compute3"]))
        fallback.evacuating([Self.server("a")])
        #expect(fallback.send(.reservedHostEnabled(host: "compute3", ok: false, detail: "404")) == [.evacuate(id: "a", target: nil)])

        var strict = Run(policy: RecoveryPolicy(method: .reservedHost, reservedHosts: ["compute3"]))
        strict.evacuating([Self.server("a")])
        let end = strict.send(.reservedHostEnabled(host: "compute3", ok: false, detail: "404"))
        #expect(end.last == .finished(.partial))

        var autoFirst = Run(policy: RecoveryPolicy(method: .autoPriority, reservedHosts: ["compute3"], retryDelay: .seconds(1)))
        #expect(autoFirst.evacuating([Self.server("a")]) == [.evacuate(id: "a", target: nil)])
        autoFirst.send(.evacuateAnswered(id: "a", .rejected("No valid host")))
        #expect(autoFirst.send(.tick, after: .seconds(1)) == [.enableReservedHost("compute3")])
        #expect(autoFirst.send(.reservedHostEnabled(host: "compute3", ok: true, detail: "")) == [.evacuate(id: "a", target: "compute3")])
    }

    @Test("isolation failures are retried stepAttempts times, then partial, with nothing evacuated")
    func isolationFails() {
        var run = Run(policy: RecoveryPolicy(stepAttempts: 2, retryDelay: .seconds(1)))
        run.send(.start)
        run.send(.fenceFinished(.confirmedOff))
        #expect(run.send(.forceDownFinished(ok: false, detail: "503 nova-api down")).isEmpty)
        #expect(run.send(.tick, after: .seconds(1)) == [.forceDown])
        let end = run.send(.forceDownFinished(ok: false, detail: "503 nova-api down"))
        #expect(end.last == .finished(.partial))
        #expect(run.machine.reason?.contains("could not force nova-compute down") == true)
        #expect(Self.evacuations(run.actions).isEmpty)
    }

    @Test("a host with nothing to evacuate is recovered as soon as it is listed")
    func nothingToDo() {
        var run = Run()
        #expect(run.evacuating([Self.server("a", ha: nil)]) == [.finished(.recovered)])
        #expect(run.machine.instances.map(\.progress) == [.skipped])
    }

    /// Random answers, delays and crashes (seeded, so a failure replays): the safety rules hold in every order.
    @Test("invariants under random answers and crashes: no Nova call before fenced, never two evacuations of one instance in flight")
    func randomOrders() throws {
        for seed in UInt64(1)...300 {
            var rng = SplitMix64(seed: seed)
            var run = Run(policy: RecoveryPolicy(concurrency: 2, fenceTimeout: .seconds(8), retryDelay: .seconds(1),
                                                 maxAttempts: 2, maxDeferrals: 3, evacuationTimeout: .seconds(20)))
            let servers = (0..<5).map { Self.server("s\($0)", status: $0 == 4 ? "SHUTOFF" : "ACTIVE") }
            var inFlight = Set<String>()
            var landed = [String: String]()
            var fenced = false
            /// Every action is checked once, when the machine returns it.
            func check(_ actions: [RecoveryStateMachine.Action]) -> [RecoveryStateMachine.Action] {
                for action in actions {
                    switch action {
                    case .forceDown, .disable, .listServers, .evacuate, .inspect, .poll, .startServer, .enableReservedHost:
                        #expect(fenced, "seed \(seed): \(action) before the host was confirmed off")
                    default: break
                    }
                    if case .evacuate(let id, _) = action {
                        #expect(!inFlight.contains(id), "seed \(seed): \(id) evacuated while its evacuation was in flight")
                        #expect(landed[id] == nil, "seed \(seed): \(id) evacuated again after it landed")
                        inFlight.insert(id)
                    }
                }
                return actions
            }
            var pending = check(run.send(.start))
            for _ in 0..<400 where !run.machine.phase.isFinal {
                // A crash: the stored state comes back and resumes.
                if rng.next() % 25 == 0 {
                    let data = try JSONEncoder().encode(run.machine)
                    run.machine = try JSONDecoder().decode(RecoveryStateMachine.self, from: data)
                    pending = check(run.send(.resume, after: .milliseconds(300)))
                    continue
                }
                guard let action = pending.isEmpty ? nil : pending.remove(at: Int(rng.next() % UInt64(pending.count))) else {
                    pending = check(run.send(.tick, after: .milliseconds(Int64(rng.next() % 700))))
                    continue
                }
                let event: RecoveryStateMachine.Event
                switch action {
                case .fence:
                    let off = rng.next() % 3 != 0
                    if off { fenced = true }
                    event = .fenceFinished(off ? .confirmedOff : .failed("timeout"))
                case .forceDown:
                    event = .forceDownFinished(ok: rng.next() % 5 != 0, detail: "")
                case .disable:
                    event = .disableFinished(ok: true, detail: "")
                case .listServers:
                    event = .listed(.success(servers))
                case .enableReservedHost(let name):
                    event = .reservedHostEnabled(host: name, ok: true, detail: "")
                case .evacuate(let id, _):
                    let roll = rng.next() % 10
                    if roll < 6 {
                        landed[id] = "compute\(2 + rng.next() % 2)"
                        event = .evacuateAnswered(id: id, .accepted)
                    } else {
                        inFlight.remove(id)
                        event = .evacuateAnswered(id: id, roll < 8 ? .conflict("409") : .rejected("500"))
                    }
                case .inspect(let id):
                    let server = landed[id].map { Self.server(id, host: $0) } ?? Self.server(id)
                    if landed[id] == nil { inFlight.remove(id) }
                    event = .inspected(id: id, server: server, evacuationRecorded: landed[id] != nil)
                case .poll(let ids):
                    event = .polled(.success(ids.map { id in
                        landed[id].map { Self.server(id, status: id == "s4" ? "SHUTOFF" : "ACTIVE", host: $0) } ?? Self.server(id, task: "rebuilding")
                    }))
                case .startServer(let id):
                    event = .startAnswered(id: id, ok: true, detail: "")
                case .alert, .finished:
                    continue
                }
                pending += check(run.send(event, after: .milliseconds(Int64(rng.next() % 400))))
            }
            #expect(run.machine.phase.isFinal, "seed \(seed): still \(run.machine.phase) after 400 steps")
            if run.machine.phase == .recovered {
                #expect(run.machine.instances.allSatisfy { $0.progress == .done }, "seed \(seed): \(run.machine.instances.map { "\($0.id) \($0.progress) \($0.reason ?? "")" })")
            }
            if run.machine.phase != .fenceFailed { #expect(fenced, "seed \(seed)") }
        }
    }
}
