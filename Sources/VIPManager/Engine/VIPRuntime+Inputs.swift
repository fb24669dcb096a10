import HACore

// The runtime's inputs, one handler each.
extension VIPRuntime {
    mutating func start(_ step: inout Step) {
        for i in instances.indices {
            evaluate(i, &step)
            apply(instances[i].machine.handle(.startup, now: step.now), on: i, &step)
        }
        nextEvaluation = step.now + Self.evaluationInterval
    }

    mutating func handle(_ command: Command, _ step: inout Step) {
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

    mutating func takeover(_ i: Int, pin: Bool, deadline: MonotonicInstant, waiter: WaiterID, _ step: inout Step) {
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

    mutating func receive(_ datagram: ReceivedDatagram, on key: VIPInstance.SocketKey, _ step: inout Step) {
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
    mutating func tick(_ step: inout Step) {
        if step.now >= nextEvaluation {
            for i in instances.indices { evaluate(i, &step) }
            nextEvaluation = step.now + Self.evaluationInterval
            step.effects.append(.publishBoard)
        }
        for i in instances.indices { runTimers(i, &step) }
    }

    mutating func runTimers(_ i: Int, _ step: inout Step) {
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

    mutating func apply(_ change: LinkChange, _ step: inout Step) {
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

    mutating func socketReopened(_ interface: String, ok: Bool, _ step: inout Step) {
        for key in sendFailures.keys where key.interface == interface { sendFailures[key] = nil }
        let changed = socketFailed.contains(interface) == ok
        if ok { socketFailed.remove(interface) } else { socketFailed.insert(interface) }
        if changed {
            for i in instances.indices where instances[i].config.interface == interface { evaluate(i, &step) }
        }
    }

    mutating func sent(_ vip: String, ok: Bool, _ step: inout Step) {
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

    mutating func shutdown(_ step: inout Step) {
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
