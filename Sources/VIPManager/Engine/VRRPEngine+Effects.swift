import HACore
import Logging

// Executing the runtime's effects (engine thread): sockets, netlink addresses, announcements, the
// board, notify commands, metrics and logs. No decisions here: each effect is carried out as given.
extension VRRPEngine {
    func execute(_ effect: VIPRuntime.Effect, now: MonotonicInstant) {
        switch effect {
        case .sendAdvert(let vip, let priority): sendAdvert(vip, priority: priority, now: now)
        case .addAddresses(let vip): addAddresses(vip)
        case .removeAddresses(let vip): removeAddresses(vip)
        case .announce(let vip): announce(vip)
        case .transition(let vip, let from, let to, let reason, let priority):
            metrics.transitions(vip: vip, to: to.rawValue).increment()
            metrics.state(vip: vip).record(VIPMetrics.stateValue(to))
            logger.notice(to == .master ? "VIP acquired" : from == .master ? "VIP released" : "VIP state changed", metadata: [
                "vip.name": .string(vip), "vip.from": .string(from.rawValue), "vip.to": .string(to.rawValue),
                "vip.reason": .string(reason), "vip.priority": .stringConvertible(priority)])
        case .notify(let command, let arguments, let timeout):
            NotifyRunner.run(command: command, arguments: arguments, timeout: timeout, logger: logger)
        case .answer(let id, let answer):
            waiters.removeValue(forKey: id)?(answer.result)
        case .reopenSocket(let interface): reopenDue.insert(interface)
        case .publishBoard: publishBoard(now: now)
        case .count(.received(let vip)): metrics.received(vip: vip).increment()
        case .count(.dropped(let vip, let reason)): metrics.dropped(vip: vip, reason: reason.rawValue).increment()
        case .count(.sourceUnavailable(let vip)): metrics.sourceUnavailable(vip: vip).increment()
        case .log(let level, let message, let metadata):
            logger.log(level: level, "\(message)", metadata: metadata.mapValues { .string($0) })
        }
    }

    /// Sends one advert to each destination; each outcome goes back to the runtime (send-failure count).
    private func sendAdvert(_ vip: String, priority: UInt8, now: MonotonicInstant) {
        guard let instance = runtime.instance(named: vip), let socket = sockets[instance.socketKey],
              let source = instance.advertSource.address else { return }
        let advert = instance.advertisement(priority: priority)
        for destination in instance.destinations {
            do {
                let message = try VRRPCodec.encode(advert, source: source, destination: destination)
                try socket.send(message, to: destination, from: source)
                metrics.sent(vip: vip).increment()
                run(.sent(vip: vip, ok: true), now: now)
            } catch {
                metrics.sendErrors(vip: vip).increment()
                run(.sent(vip: vip, ok: false), now: now)
                logger.warning("vrrp send failed", metadata: [
                    "vip.name": .string(vip), "vip.destination": .string(destination.description),
                    "error": .string(String(describing: error))])
            }
        }
    }

    private func addAddresses(_ vip: String) {
        guard let instance = runtime.instance(named: vip) else { return }
        for network in instance.config.addresses {
            do { try addressManager?.add(network, interface: instance.config.interface, label: instance.label) } catch {
                logger.error("cannot add VIP address", metadata: [
                    "vip.name": .string(vip), "vip.address": .string(network.description), "error": .string(error.description)])
            }
        }
    }

    private func removeAddresses(_ vip: String) {
        guard let instance = runtime.instance(named: vip) else { return }
        for network in instance.config.addresses {
            do { try addressManager?.remove(network, interface: instance.config.interface) } catch {
                logger.error("cannot remove VIP address", metadata: [
                    "vip.name": .string(vip), "vip.address": .string(network.description), "error": .string(error.description)])
            }
        }
    }

    private func announce(_ vip: String) {
        guard let instance = runtime.instance(named: vip), let announcer = announcers[instance.config.interface] else { return }
        for network in instance.config.addresses {
            do {
                try announcer.announce(network.address)
                metrics.announcements(vip: vip).increment()
            } catch {
                logger.warning("announce failed", metadata: ["vip.name": .string(vip), "error": .string(error.description)])
            }
        }
    }

    private func publishBoard(now: MonotonicInstant) {
        for instance in runtime.instances {
            let master = instance.machine.state == .master
            let reason = master ? "" : "\(node.name) is \(instance.machine.state.rawValue) for \(instance.name)"
            board.publish(name: "vip.\(instance.name)", status: master ? .passing : .critical, reason: reason,
                          last: CheckResult(status: master ? .passing : .critical, reason: reason, at: now),
                          interval: Self.boardInterval)
        }
    }
}
