import HACore

// Priority evaluation and the state machines' actions, for every input.
extension VIPRuntime {
    /// Re-reads the VIP's priority inputs and feeds a changed fault or priority to its machine.
    mutating func evaluate(_ i: Int, _ step: inout Step) {
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
    mutating func refreshAdvertSource(_ i: Int, _ step: inout Step) {
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

    mutating func apply(_ actions: [VRRPStateMachine.Action], on i: Int, _ step: inout Step) {
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

    mutating func release(_ i: Int, _ step: inout Step) {
        instances[i].removeAt = nil
        step.effects.append(.removeAddresses(vip: instances[i].name))
    }

    /// The GARP/NA burst: `garp.count` rounds, `garp.delay` apart, the first at once.
    mutating func scheduleAnnouncements(_ i: Int, now: MonotonicInstant) {
        let garp = instances[i].config.garp
        instances[i].announceAt = (0..<garp.count).map { now + garp.delay * $0 }
    }

    mutating func transitioned(_ i: Int, from: VRRPStateMachine.State, to: VRRPStateMachine.State,
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
