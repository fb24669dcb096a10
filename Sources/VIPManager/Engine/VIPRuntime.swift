import HACore
import Logging

/// Every VIP of this node as one pure value: the per-instance ``VRRPStateMachine``s plus the
/// engine-level policy around them (handover pins and takeover, the release grace, handover
/// waiters, GARP/NA scheduling, link and socket faults, the periodic re-evaluation of priorities).
/// `(runtime, input, now) -> (runtime, effects)`: no I/O, no clock. ``VRRPEngine`` is its executor:
/// it feeds inputs (commands, datagrams, ticks, link changes, socket outcomes) with the current
/// monotonic time and carries out the effects in order, then waits until ``nextDeadline``.
///
/// What the runtime reads from the world at evaluation time (tracked checks, the drain flag, the
/// advert source address, wall time for the status) comes through ``Sensors``, read only when a
/// decision needs it, as the engine always did.
struct VIPRuntime {
    /// Identifies a `takeover` caller waiting for an answer; the executor keeps the reply.
    typealias WaiterID = Int

    /// How long a demoted master keeps the addresses after the state machine released them. The new
    /// master has already claimed them, but a keepalived successor sends its advert before its
    /// gratuitous ARPs: releasing at once would drop the client packets in between. Holding them a
    /// little longer is harmless (the new master's GARP moves the clients). Not applied on stop.
    static let releaseGrace: Duration = .milliseconds(100)
    /// Tracked checks, drain and advert sources are re-read this often (and on every event that may change them).
    static let evaluationInterval: Duration = .milliseconds(100)
    /// Consecutive advert send failures on one socket before it is re-opened (and, if that fails,
    /// its VIPs go to Fault until it can be).
    static let sendFailureLimit = 3

    enum Command: Equatable {
        /// Planned handover to this node; `pin` keeps the top priority until the next handover, a drain or a restart.
        case takeover(String, pin: Bool, deadline: MonotonicInstant, waiter: WaiterID)
        case unpin(String)
        /// Before a graceful stop: the bottom priority, advertised at once, not persisted.
        case leave
        case reevaluate
        /// The engine is stopping: a release from now on is immediate (no grace).
        case stop
    }

    enum Input {
        /// Join every virtual router (after the first reading of the links).
        case start
        case command(Command)
        /// A datagram read from the VRRP socket `key`.
        case datagram(VIPInstance.SocketKey, ReceivedDatagram)
        /// The loop woke up: run what is due (evaluation, timers, announcements, waiter deadlines).
        case tick
        /// A VIP interface went down or came back.
        case link(LinkChange)
        /// The executor re-opened (or failed to re-open) the VRRP sockets of an interface.
        case socketReopened(interface: String, ok: Bool)
        /// One advert send to one destination of a VIP succeeded or failed.
        case sent(vip: String, ok: Bool)
        /// Leave every virtual router (a Master sends priority 0 and releases at once); fail the waiters.
        case shutdown
    }

    enum LinkChange: Equatable {
        case down(String)
        case up(String)
    }

    enum Effect: Equatable {
        /// Encode and send one advert to each destination of the VIP; report each outcome as ``Input/sent(vip:ok:)``.
        case sendAdvert(vip: String, priority: UInt8)
        case addAddresses(vip: String)
        case removeAddresses(vip: String)
        /// One gratuitous ARP / unsolicited NA for each address of the VIP.
        case announce(vip: String)
        /// A state change: metrics and the operator's notice.
        case transition(vip: String, from: VRRPStateMachine.State, to: VRRPStateMachine.State, reason: String, priority: Int)
        /// Run the VIP's notify command (keepalived's arguments).
        case notify(command: String, arguments: [String], timeout: Duration)
        /// Answer a `takeover` caller.
        case answer(WaiterID, Answer)
        /// Re-open the VRRP sockets of an interface (the executor reports ``Input/socketReopened(interface:ok:)``).
        case reopenSocket(interface: String)
        /// Publish every VIP's `vip.NAME` board entry.
        case publishBoard
        case count(Count)
        case log(Logger.Level, String, [String: String])
    }

    /// What a `takeover` caller hears.
    enum Answer: Equatable {
        /// This node is Master of the VIP.
        case master
        case failed(VIPError)

        var result: Result<Void, VIPError> {
            switch self {
            case .master: .success(())
            case .failed(let error): .failure(error)
            }
        }
    }

    /// Metrics the runtime decides on (the executor counts what it sends and announces itself).
    enum Count: Equatable {
        case received(vip: String)
        case dropped(vip: String, reason: VRRPDropReason)
        case sourceUnavailable(vip: String)
    }

    /// Reads of the world, done only when a decision needs them.
    struct Sensors {
        var drained: () -> Bool
        var checkStatus: (_ check: String, _ now: MonotonicInstant) -> HealthStatus?
        var advertSource: (VIPInstance) -> AdvertSource
        /// Unix seconds, for the status' last transition.
        var wallTime: () -> Double
    }

    let node: Controller
    private(set) var instances: [VIPInstance]
    /// VRRP packets for a VRID we do not run, per socket (reported in the status as `vrid` drops).
    private(set) var unmatched: [VIPInstance.SocketKey: Int] = [:]
    private(set) var leaving = false
    private(set) var stopping = false
    /// Interfaces down as of the last applied change.
    private(set) var linksDown: Set<String> = []
    /// Interfaces whose VRRP socket could not be re-opened: their VIPs are in Fault until it can.
    private(set) var socketFailed: Set<String> = []
    private(set) var sendFailures: [VIPInstance.SocketKey: Int] = [:]
    private(set) var nextEvaluation: MonotonicInstant = .distantFuture

    init(node: Controller, instances: [VIPInstance]) {
        self.node = node
        self.instances = instances
    }

    /// The earliest instant at which a ``Input/tick`` has something to do.
    var nextDeadline: MonotonicInstant {
        var earliest = nextEvaluation
        for instance in instances {
            if let d = instance.machine.nextDeadline { earliest = min(earliest, d) }
            if let d = instance.announceAt.first { earliest = min(earliest, d) }
            if let d = instance.refreshAt { earliest = min(earliest, d) }
            if let d = instance.removeAt { earliest = min(earliest, d) }
            for w in instance.takeoverWaiters { earliest = min(earliest, w.deadline) }
        }
        return earliest
    }

    func instance(named name: String) -> VIPInstance? { instances.first { $0.name == name } }

    /// The status of every VIP, as the API reports it.
    var statuses: [VIPStatus] {
        instances.map { instance -> VIPStatus in
            var status = instance.status(base: instance.config.priorities[node.name] ?? 100)
            if let n = unmatched[instance.socketKey], n > 0 { status.dropped["vrid", default: 0] += n }
            return status
        }
    }

    /// The pure form: the next runtime and its effects.
    static func step(_ runtime: VIPRuntime, _ input: Input, now: MonotonicInstant, sensors: Sensors) -> (VIPRuntime, [Effect]) {
        var next = runtime
        let effects = next.handle(input, now: now, sensors: sensors)
        return (next, effects)
    }

    /// Applies `input` at `now`; the effects are to be executed in order. `now` must not go backwards.
    mutating func handle(_ input: Input, now: MonotonicInstant, sensors: Sensors) -> [Effect] {
        var step = Step(now: now, sensors: sensors)
        switch input {
        case .start: start(&step)
        case .command(let command): handle(command, &step)
        case .datagram(let key, let datagram): receive(datagram, on: key, &step)
        case .tick: tick(&step)
        case .link(let change): apply(change, &step)
        case .socketReopened(let interface, let ok): socketReopened(interface, ok: ok, &step)
        case .sent(let vip, let ok): sent(vip, ok: ok, &step)
        case .shutdown: shutdown(&step)
        }
        return step.effects
    }

    /// One input's context and the effects it produced.
    struct Step {
        let now: MonotonicInstant
        let sensors: Sensors
        var effects: [Effect] = []

        mutating func log(_ level: Logger.Level, _ message: String, _ metadata: [String: String] = [:]) {
            effects.append(.log(level, message, metadata))
        }
    }
}

// MARK: inputs

extension VIPRuntime {
    private mutating func start(_ step: inout Step) {
        for i in instances.indices {
            evaluate(i, &step)
            apply(instances[i].machine.handle(.startup, now: step.now), on: i, &step)
        }
        nextEvaluation = step.now + Self.evaluationInterval
    }

    private mutating func handle(_ command: Command, _ step: inout Step) {
        switch command {
        case .stop:
            stopping = true
        case .reevaluate:
            for i in instances.indices { evaluate(i, &step) }
        case .leave:
            leaving = true
            for i in instances.indices { evaluate(i, &step) }
        case .unpin(let name):
            guard let i = instances.firstIndex(where: { $0.name == name }) else { return }
            if instances[i].pinned {
                instances[i].pinned = false
                step.log(.notice, "handover pin cleared", ["vip.name": name])
            }
            evaluate(i, &step)
        case .takeover(let name, let pin, let deadline, let waiter):
            guard let i = instances.firstIndex(where: { $0.name == name }) else {
                return step.effects.append(.answer(waiter, .failed(.unknownVIP(name))))
            }
            takeover(i, pin: pin, deadline: deadline, waiter: waiter, &step)
        }
    }

    private mutating func takeover(_ i: Int, pin: Bool, deadline: MonotonicInstant, waiter: WaiterID, _ step: inout Step) {
        func answer(_ answer: Answer) { step.effects.append(.answer(waiter, answer)) }
        if step.sensors.drained() || leaving {
            return answer(.failed(.refused("\(node.name) is \(leaving ? "stopping" : "drained; resume it first")")))
        }
        if pin { instances[i].pinned = true }
        evaluate(i, &step)
        let instance = instances[i]
        if instance.priority.fault {
            return answer(.failed(.refused("\(node.name) is in fault for \(instance.name): \(instance.priority.reasons.joined(separator: ", "))")))
        }
        switch instance.machine.state {
        case .master:
            answer(.master)
        case .backup:
            step.log(.notice, "taking over for a planned handover", ["vip.name": instance.name, "vip.pinned": "\(pin)"])
            apply(instances[i].machine.handle(.takeover, now: step.now), on: i, &step)
            if instances[i].machine.state == .master { answer(.master) } else {
                instances[i].takeoverWaiters.append((waiter, deadline))
            }
        case .initialize, .fault:
            answer(.failed(.refused("\(node.name) cannot take \(instance.name) in state \(instance.machine.state.rawValue)")))
        }
    }

    private mutating func receive(_ datagram: ReceivedDatagram, on key: VIPInstance.SocketKey, _ step: inout Step) {
        if datagram.source == node.address { return }   // our own, looped back
        let vrid = datagram.message.count >= 2 ? datagram.message[datagram.message.startIndex + 1] : 0
        guard let i = instances.firstIndex(where: { $0.socketKey == key && $0.vrid == vrid }) else {
            let reason = datagram.message.count < 2 ? VRRPDropReason.truncated : .vrid
            unmatched[key, default: 0] += 1
            step.effects.append(.count(.dropped(vip: "-", reason: reason)))
            return
        }
        switch VRRPCodec.decode(datagram.message, source: datagram.source, destination: datagram.destination,
                                ttl: datagram.ttl, policy: instances[i].policy) {
        case .success(let advert):
            instances[i].advertsReceived += 1
            step.effects.append(.count(.received(vip: instances[i].name)))
            apply(instances[i].machine.handle(
                .advert(priority: advert.priority, maxAdvertInterval: advert.maxAdvertInterval, source: datagram.source),
                now: step.now), on: i, &step)
        case .failure(let reason):
            instances[i].dropped[reason.rawValue, default: 0] += 1
            step.effects.append(.count(.dropped(vip: instances[i].name, reason: reason)))
        }
    }

    /// Order within a tick as the engine always ran it: the periodic evaluation, then per VIP the
    /// release grace, the state machine's timer, the announcements due, the refresh, the waiters' deadlines.
    private mutating func tick(_ step: inout Step) {
        if step.now >= nextEvaluation {
            for i in instances.indices { evaluate(i, &step) }
            nextEvaluation = step.now + Self.evaluationInterval
            step.effects.append(.publishBoard)
        }
        for i in instances.indices { runTimers(i, &step) }
    }

    private mutating func runTimers(_ i: Int, _ step: inout Step) {
        let now = step.now
        if let at = instances[i].removeAt, at <= now { release(i, &step) }
        if let deadline = instances[i].machine.nextDeadline, now >= deadline {
            apply(instances[i].machine.handle(.timerFired, now: now), on: i, &step)
        }
        while let first = instances[i].announceAt.first, first <= now {
            instances[i].announceAt.removeFirst()
            step.effects.append(.announce(vip: instances[i].name))
        }
        if let refresh = instances[i].refreshAt, refresh <= now {
            instances[i].refreshAt = now + instances[i].config.garp.refresh
            scheduleAnnouncements(i, now: now)
        }
        let expired = instances[i].takeoverWaiters.filter { $0.deadline <= now }
        if !expired.isEmpty {
            instances[i].takeoverWaiters.removeAll { $0.deadline <= now }
            for waiter in expired {
                step.effects.append(.answer(waiter.id, .failed(.timedOut("\(node.name) did not become master of \(instances[i].name) in time"))))
            }
        }
    }

    private mutating func apply(_ change: LinkChange, _ step: inout Step) {
        let interface: String
        switch change {
        case .down(let name):
            interface = name
            linksDown.insert(name)
            step.log(.notice, "link down", ["vip.interface": name])
        case .up(let name):
            interface = name
            linksDown.remove(name)
            step.log(.notice, "link up", ["vip.interface": name])
        }
        for i in instances.indices where instances[i].config.interface == interface { evaluate(i, &step) }
    }

    private mutating func socketReopened(_ interface: String, ok: Bool, _ step: inout Step) {
        for key in sendFailures.keys where key.interface == interface { sendFailures[key] = nil }
        let changed = socketFailed.contains(interface) == ok
        if ok { socketFailed.remove(interface) } else { socketFailed.insert(interface) }
        if changed {
            for i in instances.indices where instances[i].config.interface == interface { evaluate(i, &step) }
        }
    }

    private mutating func sent(_ vip: String, ok: Bool, _ step: inout Step) {
        guard let i = instances.firstIndex(where: { $0.name == vip }) else { return }
        let key = instances[i].socketKey
        if ok {
            instances[i].advertsSent += 1
            sendFailures[key] = nil
            return
        }
        let failures = sendFailures[key, default: 0] + 1
        sendFailures[key] = failures
        if failures >= Self.sendFailureLimit { step.effects.append(.reopenSocket(interface: key.interface)) }
    }

    private mutating func shutdown(_ step: inout Step) {
        stopping = true
        for i in instances.indices {
            apply(instances[i].machine.handle(.shutdown, now: step.now), on: i, &step)
            if instances[i].removeAt != nil { release(i, &step) }
            for waiter in instances[i].takeoverWaiters { step.effects.append(.answer(waiter.id, .failed(.stopped))) }
            instances[i].takeoverWaiters = []
        }
        step.effects.append(.publishBoard)
    }
}

// MARK: evaluation and the state machines' actions

extension VIPRuntime {
    /// Re-reads the VIP's priority inputs and feeds a changed fault or priority to its machine.
    private mutating func evaluate(_ i: Int, _ step: inout Step) {
        let config = instances[i].config
        let base = config.priorities[node.name] ?? 100
        refreshAdvertSource(i, &step)
        let now = step.now, sensors = step.sensors
        let linkUp = !linksDown.contains(config.interface), socketUp = !socketFailed.contains(config.interface)
        var result = VIPPriority.evaluate(
            base: base, track: config.track, status: { sensors.checkStatus($0, now) },
            drained: sensors.drained(), leaving: leaving, pinned: instances[i].pinned, linkUp: linkUp, socketUp: socketUp)
        var cause = VRRPStateMachine.FaultCause.trackedCheck
        if !linkUp { cause = .linkDown(interface: config.interface) } else if !socketUp { cause = .socketFailed(interface: config.interface) }
        if case .unavailable(let reason) = instances[i].advertSource {
            if !result.fault { cause = .noAdvertSource(reason) }
            result.fault = true
            result.reasons.append(reason)
        }
        if instances[i].pinned && result.priority != VIPPriority.pinned {
            instances[i].pinned = false
            step.log(.notice, "handover pin cleared", ["vip.name": config.name, "vip.reasons": result.reasons.joined(separator: ", ")])
        }
        let old = instances[i].priority
        instances[i].priority = result
        if result.fault != old.fault {
            apply(instances[i].machine.handle(.fault(result.fault, cause: cause), now: now), on: i, &step)
        }
        if !result.fault && result.priority != instances[i].machine.effectivePriority {
            step.log(.info, "priority changed", [
                "vip.name": config.name, "vip.priority": "\(result.priority)", "vip.reasons": result.reasons.joined(separator: ", ")])
            apply(instances[i].machine.handle(.priorityAdjusted(result.priority), now: now), on: i, &step)
        }
    }

    /// IPv6 adverts come from the interface's link-local address, looked up again every evaluation
    /// (it may still be tentative at start, or change with the MAC); none puts the VIP in Fault.
    private mutating func refreshAdvertSource(_ i: Int, _ step: inout Step) {
        let fresh = step.sensors.advertSource(instances[i])
        guard instances[i].adoptAdvertSource(fresh) else { return }
        let name = instances[i].name
        switch fresh {
        case .ready(let address):
            step.log(.notice, "VRRP advert source ready", ["vip.name": name, "vip.source": address.description])
        case .unavailable(let reason):
            step.effects += Self.sourceUnavailable(name, reason)
        }
    }

    /// What an unusable advert source means to the operator (also at startup, from the executor).
    static func sourceUnavailable(_ name: String, _ reason: String) -> [Effect] {
        [.count(.sourceUnavailable(vip: name)),
         .log(.error, "VIP cannot send VRRP adverts: fault until its source address is usable",
              ["vip.name": name, "vip.reason": reason])]
    }

    private mutating func apply(_ actions: [VRRPStateMachine.Action], on i: Int, _ step: inout Step) {
        let name = instances[i].name
        for action in actions {
            switch action {
            case .sendAdvert(let priority):
                step.effects.append(.sendAdvert(vip: name, priority: priority))
            case .addAddresses:
                instances[i].removeAt = nil
                step.effects.append(.addAddresses(vip: name))
            case .announce:
                scheduleAnnouncements(i, now: step.now)
            case .removeAddresses:
                instances[i].announceAt = []
                instances[i].refreshAt = nil
                if stopping { release(i, &step) } else { instances[i].removeAt = step.now + Self.releaseGrace }
            case .transition(let from, let to, let reason):
                transitioned(i, from: from, to: to, reason: reason, &step)
            }
        }
    }

    private mutating func release(_ i: Int, _ step: inout Step) {
        instances[i].removeAt = nil
        step.effects.append(.removeAddresses(vip: instances[i].name))
    }

    /// The GARP/NA burst: `garp.count` rounds, `garp.delay` apart, the first at once.
    private mutating func scheduleAnnouncements(_ i: Int, now: MonotonicInstant) {
        let garp = instances[i].config.garp
        instances[i].announceAt = (0..<garp.count).map { now + garp.delay * $0 }
    }

    private mutating func transitioned(_ i: Int, from: VRRPStateMachine.State, to: VRRPStateMachine.State,
                                       reason: String, _ step: inout Step) {
        let name = instances[i].name
        let priority = instances[i].machine.effectivePriority
        instances[i].lastTransition = .init(from: from.rawValue, to: to.rawValue, reason: reason, at: step.sensors.wallTime())
        step.effects.append(.transition(vip: name, from: from, to: to, reason: reason, priority: priority))
        if to == .master {
            let refresh = instances[i].config.garp.refresh
            instances[i].refreshAt = refresh > .zero ? step.now + refresh : nil
            for waiter in instances[i].takeoverWaiters { step.effects.append(.answer(waiter.id, .master)) }
            instances[i].takeoverWaiters = []
        }
        if let command = instances[i].config.notify {
            step.effects.append(.notify(command: command, arguments: ["INSTANCE", name, to.notifyName, String(priority)],
                                        timeout: instances[i].config.notifyTimeout))
        }
        step.effects.append(.publishBoard)
    }
}

extension VRRPStateMachine.State {
    /// keepalived's notify state names, so existing notify scripts keep working.
    var notifyName: String {
        switch self {
        case .initialize: "STOP"
        case .backup: "BACKUP"
        case .master: "MASTER"
        case .fault: "FAULT"
        }
    }
}
