import Foundation
import HACore
import Logging
import Synchronization

/// Runs every VIP of this node on one dedicated thread, keepalived-style: a poll loop over the VRRP
/// sockets with the earliest state-machine deadline as its timeout. The thread asks for SCHED_RR so
/// adverts keep their deadlines with both cores busy (it sleeps almost all the time).
///
/// Threading: all mutable state marked "engine thread" is touched only on that thread, from
/// `start()` until the thread exits after `stop()`. Other threads post `Command`s to `inbox`
/// (Mutex) and wake the loop through an eventfd; they read `snapshot` (Mutex). That is the
/// invariant behind `@unchecked Sendable`.
public final class VRRPEngine: @unchecked Sendable {
    public let node: Controller
    let controllers: [Controller]
    let configs: [VIPConfig]
    let board: HealthBoard
    let drained: @Sendable () -> Bool
    let logger: Logger
    let clock = SystemClock()
    let metrics: VIPMetrics

    private let inbox = Mutex<[Command]>([])
    private let snapshot = Mutex<[VIPStatus]>([])
    /// A self-pipe: commands wake the poll loop (eventfd/ppoll are not visible to Swift without _GNU_SOURCE).
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let running = Mutex(false)
    private let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let exited = Mutex(false)

    // engine thread
    private var instances: [VIPInstance] = []
    private var sockets: [VIPInstance.SocketKey: VRRPSocket] = [:]
    private var unmatched: [VIPInstance.SocketKey: Int] = [:]
    private var addressManager: AddressManager?
    private var announcers: [String: Announcer] = [:]
    private var nextEvaluation = MonotonicInstant.zero
    private var nextLinkCheck = MonotonicInstant.zero
    /// Link state of the VIP interfaces, fed by `linkMonitor` (netlink events) and the backstop poll.
    private var links = LinkTracker(watching: [])
    private var linkMonitor: LinkMonitor?
    /// Interfaces down as of the last applied change. Not `links.isUp`: the tracker is already at the
    /// end state of a folded flap (`.down, .up` from one reading) while the engine applies the `.down`.
    private var linksDown: Set<String> = []
    /// Interfaces whose VRRP socket could not be re-opened: their VIPs are in Fault until it can.
    private var socketFailed: Set<String> = []
    /// Interfaces whose VRRP socket is to be re-opened (recreated interface, repeated send failures).
    private var reopenDue: Set<String> = []
    private var sendFailures: [VIPInstance.SocketKey: Int] = [:]
    private var stopReply: (@Sendable () -> Void)?
    /// Set by `leave()` before a graceful stop: advertise the bottom priority, like a drain, without persisting it.
    private var leaving = false

    /// How long a demoted master keeps the addresses after the state machine released them. The new
    /// master has already claimed them, but a keepalived successor sends its advert before its
    /// gratuitous ARPs: releasing at once would drop the client packets in between. Holding them a
    /// little longer is harmless (the new master's GARP moves the clients). Not applied on stop.
    public static let releaseGrace: Duration = .milliseconds(100)
    static let evaluationInterval: Duration = .milliseconds(100)
    /// Link changes arrive as netlink events (`LinkMonitor`) within milliseconds; this poll is only
    /// the backstop (lost events, an index that changed unseen, a socket that failed to re-open).
    static let linkCheckInterval: Duration = .seconds(1)
    /// Consecutive advert send failures on one socket before it is re-opened (and, if that fails,
    /// its VIPs go to Fault until it can be).
    static let sendFailureLimit = 3
    /// Board entries `vip.NAME` are republished every evaluation; a stuck engine reads stale in 3 s.
    static let boardInterval: Duration = .seconds(1)

    enum Command {
        case takeover(String, pin: Bool, deadline: MonotonicInstant, reply: @Sendable (Result<Void, VIPError>) -> Void)
        case unpin(String)
        case leave
        case reevaluate
        case stop(reply: @Sendable () -> Void)
    }

    public init(vips: [VIPConfig], node: Controller, controllers: [Controller], board: HealthBoard,
                drained: @escaping @Sendable () -> Bool, logger: Logger) {
        self.configs = vips
        self.node = node
        self.controllers = controllers
        self.board = board
        self.drained = drained
        var logger = logger
        logger[metadataKey: "module"] = "vip"
        self.logger = logger
        self.metrics = VIPMetrics()
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0, "pipe: \(String(cString: strerror(errno)))")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        self.wakeRead = fds[0]
        self.wakeWrite = fds[1]
    }

    deinit { close(wakeRead); close(wakeWrite) }

    public var vipNames: [String] { configs.map(\.name) }

    /// Opens netlink and the VRRP sockets, removes any configured VIP address left on our interfaces
    /// (a crashed agent must not leave a duplicate), and starts the engine thread, which joins every
    /// VIP as Backup (or Master for an owner).
    public func start() throws(VIPError) {
        let manager: AddressManager
        do { manager = try AddressManager() } catch { throw .netlink(error.description) }
        // Subscribed before the first reading of the links, so no change falls between the two.
        do { linkMonitor = try LinkMonitor() } catch { throw .netlink("link events: \(error.description)") }
        var built: [VIPInstance] = []
        for (index, config) in configs.enumerated() {
            built.append(try makeInstance(config, index: index))
        }
        for instance in built where sockets[instance.socketKey] == nil {
            do {
                sockets[instance.socketKey] = try Self.openSocket(for: instance)
            } catch {
                throw .socket("\(instance.config.interface): \(error.description)")
            }
            if announcers[instance.config.interface] == nil {
                do { announcers[instance.config.interface] = try Announcer(interface: instance.config.interface, manager: manager) } catch {
                    throw .netlink("\(instance.config.interface): \(error.description)")
                }
            }
        }
        for instance in built { removeLeftovers(instance, manager) }
        instances = built
        links = LinkTracker(watching: built.map(\.config.interface))
        addressManager = manager
        running.withLock { $0 = true }
        publishSnapshot()
        let thread = Thread { [self] in self.loop() }
        thread.name = "hactl-vrrp"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Leaves every virtual router: a Master sends a priority-0 advert and releases its addresses
    /// (for a loss-free stop, hand the VIPs over first). Returns when the engine thread has exited.
    public func stop() async {
        guard running.withLock({ $0 }) else { return }
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            post(.stop(reply: { cont.resume() }))
        }
    }

    /// This node's view of every VIP (a snapshot; never blocks on the engine).
    public func status() -> [VIPStatus] { snapshot.withLock { $0 } }

    public func status(of name: String) -> VIPStatus? { status().first { $0.name == name } }

    /// The advert interval of a VIP (for how long a release may take).
    public func advertInterval(of name: String) -> Duration? { configs.first { $0.name == name }?.advertInterval }

    /// Planned handover TO this node: take the VIP now (ignoring preempt), and with `pin` keep the top
    /// priority until the next handover, a drain or a restart. Returns once this node is Master.
    public func takeover(_ name: String, pin: Bool, timeout: Duration = .seconds(3)) async throws(VIPError) {
        guard configs.contains(where: { $0.name == name }) else { throw .unknownVIP(name) }
        guard running.withLock({ $0 }) else { throw .stopped }
        let deadline = clock.now + timeout
        let result = await withCheckedContinuation { (cont: CheckedContinuation<Result<Void, VIPError>, Never>) in
            post(.takeover(name, pin: pin, deadline: deadline, reply: { cont.resume(returning: $0) }))
        }
        try result.get()
    }

    /// Clears a handover pin on this node (the CLI does this on the other nodes before a handover).
    public func unpin(_ name: String) throws(VIPError) {
        guard configs.contains(where: { $0.name == name }) else { throw .unknownVIP(name) }
        post(.unpin(name))
    }

    /// Before a graceful stop: drop to the bottom priority now (advertised at once) so a peer can
    /// take over while we still hold the addresses. Not persisted (unlike a drain).
    public func leave() { post(.leave) }

    /// Re-reads tracked checks and the drain flag now instead of at the next 100 ms tick.
    public func reevaluate() { post(.reevaluate) }

    private func post(_ command: Command) {
        inbox.withLock { $0.append(command) }
        var one: UInt8 = 1
        _ = write(wakeWrite, &one, 1)
    }

    // MARK: setup

    private func makeInstance(_ config: VIPConfig, index: Int) throws(VIPError) -> VIPInstance {
        let family: VRRPReceivePolicy.Family = config.addresses[0].address.isIPv4 ? .v4 : .v6
        let base = config.priorities[node.name] ?? 100
        var authPass: [UInt8]?
        if let file = config.authPassFile {
            do { authPass = Array(try SecretFile.read(file).utf8.prefix(8)) } catch { throw .secret(error.message) }
        }
        let peers = controllers.filter { $0.name != node.name }.map(\.address) + config.acceptFrom
        let sameFamily = peers.filter { VRRPReceivePolicy.Family(of: $0) == family }
        let allowed = Set(controllers.map(\.address) + config.acceptFrom)
        let policy = VRRPReceivePolicy(
            version: config.version, vrids: [UInt8(config.vrid)], authPass: authPass,
            requiredAdvertInterval: config.version == 2 ? config.advertInterval : nil,
            allowedSources: allowed, family: family)
        let group = family == .v4 ? VRRPCodec.multicastGroupIPv4 : VRRPCodec.multicastGroupIPv6
        let source = AdvertSource.resolve(family: family, interface: config.interface, controllerAddress: node.address)
        if case .unavailable(let reason) = source { advertSourceUnavailable(config.name, reason) }
        let machine = VRRPStateMachine(parameters: .init(
            vrid: UInt8(config.vrid), basePriority: base, advertInterval: config.advertInterval,
            preempt: config.preempt, preemptDelay: config.preemptDelay, primaryAddress: source.address ?? node.address,
            version: config.version))
        let label = family == .v4 ? String("\(config.interface):\(config.name)".prefix(15)) : nil
        return VIPInstance(
            config: config, index: index, machine: machine, policy: policy,
            socketKey: .init(interface: config.interface, family: family),
            destinations: config.unicast ? sameFamily : [group], advertSource: source, authPass: authPass,
            label: label, priority: .init(priority: base, fault: false, reasons: []))
    }

    private static func openSocket(for instance: VIPInstance) throws(VRRPSocketError) -> VRRPSocket {
        try VRRPSocket(interface: instance.config.interface, family: instance.socketKey.family)
    }

    private func removeLeftovers(_ instance: VIPInstance, _ manager: AddressManager) {
        guard let present = try? manager.addresses(on: instance.config.interface) else { return }
        for network in instance.config.addresses where present.contains(where: { $0.address == network.address }) {
            do {
                try manager.remove(network, interface: instance.config.interface)
                logger.notice("removed a VIP address left by a previous run", metadata: [
                    "vip.name": .string(instance.name), "vip.address": .string(network.description)])
            } catch {
                logger.error("cannot remove a leftover VIP address", metadata: [
                    "vip.name": .string(instance.name), "error": .string(error.description)])
            }
        }
    }

    // MARK: the loop (engine thread)

    private func loop() {
        RealtimeScheduling.request(logger: logger)
        let now = clock.now
        checkLinks(now: now)
        for i in instances.indices {
            evaluate(i, now: now)
            execute(instances[i].machine.handle(.startup, now: now), on: i, now: now)
        }
        nextEvaluation = now + Self.evaluationInterval
        nextLinkCheck = now + Self.linkCheckInterval
        while stopReply == nil {
            let now = clock.now
            handleInbox(now: now)
            if stopReply != nil { break }
            if now >= nextLinkCheck {
                checkLinks(now: now)
                nextLinkCheck = now + Self.linkCheckInterval
            }
            if !reopenDue.isEmpty { reopenSockets(now: now) }
            if now >= nextEvaluation {
                for i in instances.indices { evaluate(i, now: now) }
                nextEvaluation = now + Self.evaluationInterval
                publishBoard(now: now)
            }
            for i in instances.indices { runTimers(i, now: now) }
            publishSnapshot()
            waitForInput(until: earliestDeadline())
        }
        let end = clock.now
        for i in instances.indices {
            execute(instances[i].machine.handle(.shutdown, now: end), on: i, now: end)
            if instances[i].removeAt != nil { removeAddresses(i) }
            for waiter in instances[i].takeoverWaiters { waiter.reply(.failure(.stopped)) }
            instances[i].takeoverWaiters = []
        }
        publishBoard(now: end)
        publishSnapshot()
        for socket in sockets.values { socket.close() }
        running.withLock { $0 = false }
        stopReply?()
    }

    private func handleInbox(now: MonotonicInstant) {
        let commands = inbox.withLock { q -> [Command] in defer { q.removeAll() }; return q }
        for command in commands {
            switch command {
            case .stop(let reply):
                stopReply = reply
            case .reevaluate:
                for i in instances.indices { evaluate(i, now: now) }
            case .leave:
                leaving = true
                for i in instances.indices { evaluate(i, now: now) }
            case .unpin(let name):
                guard let i = instances.firstIndex(where: { $0.name == name }) else { continue }
                if instances[i].pinned {
                    instances[i].pinned = false
                    logger.notice("handover pin cleared", metadata: ["vip.name": .string(name)])
                }
                evaluate(i, now: now)
            case .takeover(let name, let pin, let deadline, let reply):
                guard let i = instances.firstIndex(where: { $0.name == name }) else { reply(.failure(.unknownVIP(name))); continue }
                takeover(i, pin: pin, deadline: deadline, reply: reply, now: now)
            }
        }
    }

    private func takeover(_ i: Int, pin: Bool, deadline: MonotonicInstant,
                          reply: @escaping @Sendable (Result<Void, VIPError>) -> Void, now: MonotonicInstant) {
        if drained() || leaving { return reply(.failure(.refused("\(node.name) is \(leaving ? "stopping" : "drained; resume it first")"))) }
        if pin { instances[i].pinned = true }
        evaluate(i, now: now)
        let instance = instances[i]
        if instance.priority.fault {
            return reply(.failure(.refused("\(node.name) is in fault for \(instance.name): \(instance.priority.reasons.joined(separator: ", "))")))
        }
        switch instance.machine.state {
        case .master:
            reply(.success(()))
        case .backup:
            logger.notice("taking over for a planned handover", metadata: ["vip.name": .string(instance.name), "vip.pinned": .stringConvertible(pin)])
            execute(instances[i].machine.handle(.takeover, now: now), on: i, now: now)
            if instances[i].machine.state == .master { reply(.success(())) } else {
                instances[i].takeoverWaiters.append((deadline, reply))
            }
        case .initialize, .fault:
            reply(.failure(.refused("\(node.name) cannot take \(instance.name) in state \(instance.machine.state.rawValue)")))
        }
    }

    private func evaluate(_ i: Int, now: MonotonicInstant) {
        let config = instances[i].config
        let base = config.priorities[node.name] ?? 100
        let boardNow = now
        refreshAdvertSource(i)
        var result = VIPPriority.evaluate(
            base: base, track: config.track, status: { self.board.read($0, now: boardNow)?.status },
            drained: drained(), leaving: leaving, pinned: instances[i].pinned, linkUp: !linksDown.contains(config.interface),
            socketUp: !socketFailed.contains(config.interface))
        if case .unavailable(let reason) = instances[i].advertSource { result.fault = true; result.reasons.append(reason) }
        if instances[i].pinned && result.priority != VIPPriority.pinned {
            instances[i].pinned = false
            logger.notice("handover pin cleared", metadata: ["vip.name": .string(config.name), "vip.reasons": .string(result.reasons.joined(separator: ", "))])
        }
        let old = instances[i].priority
        instances[i].priority = result
        if result.fault != old.fault {
            execute(instances[i].machine.handle(.fault(result.fault), now: now), on: i, now: now)
        }
        if !result.fault && result.priority != instances[i].machine.effectivePriority {
            logger.info("priority changed", metadata: [
                "vip.name": .string(config.name), "vip.priority": .stringConvertible(result.priority),
                "vip.reasons": .string(result.reasons.joined(separator: ", "))])
            execute(instances[i].machine.handle(.priorityAdjusted(result.priority), now: now), on: i, now: now)
        }
    }

    /// IPv6 adverts come from the interface's link-local address, looked up again every evaluation
    /// (it may still be tentative at start, or change with the MAC); none puts the VIP in Fault.
    private func refreshAdvertSource(_ i: Int) {
        let instance = instances[i]
        let fresh = AdvertSource.resolve(family: instance.socketKey.family, interface: instance.config.interface,
                                         controllerAddress: node.address)
        guard instances[i].adoptAdvertSource(fresh) else { return }
        switch fresh {
        case .ready(let address):
            logger.notice("VRRP advert source ready", metadata: ["vip.name": .string(instance.name), "vip.source": .string(address.description)])
        case .unavailable(let reason):
            advertSourceUnavailable(instance.name, reason)
        }
    }

    private func advertSourceUnavailable(_ name: String, _ reason: String) {
        metrics.sourceUnavailable(vip: name).increment()
        logger.error("VIP cannot send VRRP adverts: fault until its source address is usable", metadata: [
            "vip.name": .string(name), "vip.reason": .string(reason)])
    }

    private func runTimers(_ i: Int, now: MonotonicInstant) {
        if let at = instances[i].removeAt, at <= now { removeAddresses(i) }
        if let deadline = instances[i].machine.nextDeadline, now >= deadline {
            execute(instances[i].machine.handle(.timerFired, now: now), on: i, now: now)
        }
        while let first = instances[i].announceAt.first, first <= now {
            instances[i].announceAt.removeFirst()
            announce(i)
        }
        if let refresh = instances[i].refreshAt, refresh <= now {
            instances[i].refreshAt = now + instances[i].config.garp.refresh
            scheduleAnnouncements(i, now: now)
        }
        let expired = instances[i].takeoverWaiters.filter { $0.deadline <= now }
        if !expired.isEmpty {
            instances[i].takeoverWaiters.removeAll { $0.deadline <= now }
            for waiter in expired { waiter.reply(.failure(.timedOut("\(node.name) did not become master of \(instances[i].name) in time"))) }
        }
    }

    private func earliestDeadline() -> MonotonicInstant {
        var earliest = min(nextEvaluation, nextLinkCheck)
        for instance in instances {
            if let d = instance.machine.nextDeadline { earliest = min(earliest, d) }
            if let d = instance.announceAt.first { earliest = min(earliest, d) }
            if let d = instance.refreshAt { earliest = min(earliest, d) }
            if let d = instance.removeAt { earliest = min(earliest, d) }
            for w in instance.takeoverWaiters { earliest = min(earliest, w.deadline) }
        }
        return earliest
    }

    /// poll on the sockets and the wake pipe until `deadline`, rounded up to the millisecond (a
    /// timer never fires early; the state machine ignores an early call anyway).
    private func waitForInput(until deadline: MonotonicInstant) {
        let keys = Array(sockets.keys)
        var fds = keys.map { pollfd(fd: sockets[$0]!.fileDescriptor, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        fds.append(pollfd(fd: linkMonitor?.fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0))
        let wait = max(clock.now.duration(to: deadline), .zero)
        let (seconds, attoseconds) = wait.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        let ready = poll(&fds, nfds_t(fds.count), Int32(min(milliseconds, 60_000)))
        guard ready > 0 else { return }
        let now = clock.now
        // Link changes first: a packet that arrived after a link went down is read in Fault.
        if fds[keys.count + 1].revents & Int16(POLLIN | POLLERR) != 0 { readLinkEvents(now: now) }
        for (index, key) in keys.enumerated() where fds[index].revents & Int16(POLLIN) != 0 {
            receive(key, now: now)
        }
        if fds[keys.count].revents & Int16(POLLIN) != 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &buffer, buffer.count) > 0 {}
        }
    }

    private func receive(_ key: VIPInstance.SocketKey, now: MonotonicInstant) {
        guard let socket = sockets[key] else { return }
        let datagrams: [ReceivedDatagram]
        do { datagrams = try socket.receive(limit: 64) } catch {
            logger.warning("vrrp receive failed", metadata: ["vip.interface": .string(key.interface), "error": .string(error.description)])
            return
        }
        for datagram in datagrams {
            if datagram.source == node.address { continue }   // our own, looped back
            let vrid = datagram.message.count >= 2 ? datagram.message[datagram.message.startIndex + 1] : 0
            guard let i = instances.firstIndex(where: { $0.socketKey == key && $0.vrid == vrid }) else {
                let reason = datagram.message.count < 2 ? VRRPDropReason.truncated : .vrid
                unmatched[key, default: 0] += 1
                metrics.dropped(vip: "-", reason: reason.rawValue).increment()
                continue
            }
            switch VRRPCodec.decode(datagram.message, source: datagram.source, destination: datagram.destination,
                                    ttl: datagram.ttl, policy: instances[i].policy) {
            case .success(let advert):
                instances[i].advertsReceived += 1
                metrics.received(vip: instances[i].name).increment()
                execute(instances[i].machine.handle(
                    .advert(priority: advert.priority, maxAdvertInterval: advert.maxAdvertInterval, source: datagram.source),
                    now: now), on: i, now: now)
            case .failure(let reason):
                instances[i].dropped[reason.rawValue, default: 0] += 1
                metrics.dropped(vip: instances[i].name, reason: reason.rawValue).increment()
            }
        }
    }

    // MARK: effects (engine thread)

    private func execute(_ actions: [VRRPStateMachine.Action], on i: Int, now: MonotonicInstant) {
        for action in actions {
            switch action {
            case .sendAdvert(let priority): sendAdvert(i, priority: priority)
            case .addAddresses:
                instances[i].removeAt = nil
                addAddresses(i)
            case .announce: scheduleAnnouncements(i, now: now)
            case .removeAddresses:
                instances[i].announceAt = []
                instances[i].refreshAt = nil
                if stopReply != nil { removeAddresses(i) } else { instances[i].removeAt = now + Self.releaseGrace }
            case .transition(let from, let to, let reason): transitioned(i, from: from, to: to, reason: reason, now: now)
            }
        }
    }

    private func sendAdvert(_ i: Int, priority: UInt8) {
        let instance = instances[i]
        guard let socket = sockets[instance.socketKey], let source = instance.advertSource.address else { return }
        let advert = instance.advertisement(priority: priority)
        for destination in instance.destinations {
            do {
                let message = try VRRPCodec.encode(advert, source: source, destination: destination)
                try socket.send(message, to: destination, from: source)
                instances[i].advertsSent += 1
                sendFailures[instance.socketKey] = nil
                metrics.sent(vip: instance.name).increment()
            } catch {
                metrics.sendErrors(vip: instance.name).increment()
                let failures = sendFailures[instance.socketKey, default: 0] + 1
                sendFailures[instance.socketKey] = failures
                if failures >= Self.sendFailureLimit { reopenDue.insert(instance.config.interface) }
                logger.warning("vrrp send failed", metadata: [
                    "vip.name": .string(instance.name), "vip.destination": .string(destination.description),
                    "error": .string(String(describing: error))])
            }
        }
    }

    private func addAddresses(_ i: Int) {
        let instance = instances[i]
        for network in instance.config.addresses {
            do { try addressManager?.add(network, interface: instance.config.interface, label: instance.label) } catch {
                logger.error("cannot add VIP address", metadata: [
                    "vip.name": .string(instance.name), "vip.address": .string(network.description), "error": .string(error.description)])
            }
        }
    }

    private func removeAddresses(_ i: Int) {
        let instance = instances[i]
        instances[i].removeAt = nil
        for network in instance.config.addresses {
            do { try addressManager?.remove(network, interface: instance.config.interface) } catch {
                logger.error("cannot remove VIP address", metadata: [
                    "vip.name": .string(instance.name), "vip.address": .string(network.description), "error": .string(error.description)])
            }
        }
    }

    private func scheduleAnnouncements(_ i: Int, now: MonotonicInstant) {
        let garp = instances[i].config.garp
        instances[i].announceAt = (0..<garp.count).map { now + garp.delay * $0 }
    }

    private func announce(_ i: Int) {
        let instance = instances[i]
        guard let announcer = announcers[instance.config.interface] else { return }
        for network in instance.config.addresses {
            do {
                try announcer.announce(network.address)
                metrics.announcements(vip: instance.name).increment()
            } catch {
                logger.warning("announce failed", metadata: ["vip.name": .string(instance.name), "error": .string(error.description)])
            }
        }
    }

    private func transitioned(_ i: Int, from: VRRPStateMachine.State, to: VRRPStateMachine.State, reason: String, now: MonotonicInstant) {
        let name = instances[i].name
        instances[i].lastTransition = .init(from: from.rawValue, to: to.rawValue, reason: reason,
                                            at: Date().timeIntervalSince1970)
        metrics.transitions(vip: name, to: to.rawValue).increment()
        metrics.state(vip: name).record(VIPMetrics.stateValue(to))
        logger.notice(to == .master ? "VIP acquired" : from == .master ? "VIP released" : "VIP state changed", metadata: [
            "vip.name": .string(name), "vip.from": .string(from.rawValue), "vip.to": .string(to.rawValue),
            "vip.reason": .string(reason), "vip.priority": .stringConvertible(instances[i].machine.effectivePriority)])
        if to == .master {
            let refresh = instances[i].config.garp.refresh
            instances[i].refreshAt = refresh > .zero ? now + refresh : nil
            let waiters = instances[i].takeoverWaiters
            instances[i].takeoverWaiters = []
            for waiter in waiters { waiter.reply(.success(())) }
        }
        if let command = instances[i].config.notify {
            NotifyRunner.run(command: command, arguments: ["INSTANCE", name, to.notifyName, String(instances[i].machine.effectivePriority)],
                             timeout: instances[i].config.notifyTimeout, logger: logger)
        }
        publishBoard(now: now)
    }

    // MARK: links (engine thread)

    /// Reads the queued link events and applies them in order (a down and an up in one batch is a fault
    /// and its end); on a lost event (`ENOBUFS`) re-reads every link.
    private func readLinkEvents(now: MonotonicInstant) {
        guard let monitor = linkMonitor else { return }
        let (events, overrun) = monitor.read()
        for event in events { apply(links.observe(event), now: now) }
        if overrun {
            logger.warning("link events lost (netlink ENOBUFS): re-reading the links")
            pollLinks(now: now)
        }
    }

    /// The backstop: drain the events, re-read every VIP interface, re-open a socket bound to an index
    /// that is no longer the interface's, or one that failed to open.
    private func checkLinks(now: MonotonicInstant) {
        readLinkEvents(now: now)
        pollLinks(now: now)
        for (key, socket) in sockets {
            if let index = links.index(of: key.interface), index != socket.interfaceIndex { reopenDue.insert(key.interface) }
        }
        for interface in socketFailed where links.index(of: interface) != nil { reopenDue.insert(interface) }
    }

    private func pollLinks(now: MonotonicInstant) {
        guard let manager = addressManager else { return }
        for interface in links.watched.sorted() {
            do {
                apply(links.observe(try manager.linkEvent(interface)), now: now)
            } catch .interfaceNotFound {
                apply(links.observeAbsent(interface), now: now)
            } catch {
                logger.warning("cannot read link state", metadata: ["vip.interface": .string(interface), "error": .string(error.description)])
            }
        }
    }

    private func apply(_ changes: [LinkTracker.Change], now: MonotonicInstant) {
        for change in changes {
            switch change {
            case .down(let interface):
                linksDown.insert(interface)
                logger.notice("link down", metadata: ["vip.interface": .string(interface)])
                for i in instances.indices where instances[i].config.interface == interface { evaluate(i, now: now) }
            case .up(let interface):
                linksDown.remove(interface)
                logger.notice("link up", metadata: ["vip.interface": .string(interface)])
                for i in instances.indices where instances[i].config.interface == interface { evaluate(i, now: now) }
            case .recreated(let interface, let index):
                logger.notice("interface recreated", metadata: ["vip.interface": .string(interface), "vip.ifindex": .stringConvertible(index)])
                reopenDue.insert(interface)
                reopenSockets(now: now)
            }
        }
    }

    /// Re-opens the VRRP sockets of the interfaces in `reopenDue` on their current index. One that
    /// cannot be opened puts the VIPs of its interface in Fault; the backstop retries it.
    private func reopenSockets(now: MonotonicInstant) {
        let due = reopenDue
        reopenDue = []
        for interface in due.sorted() {
            var failed = false
            for key in Set(instances.map(\.socketKey)) where key.interface == interface {
                sockets.removeValue(forKey: key)?.close()
                sendFailures[key] = nil
                guard let instance = instances.first(where: { $0.socketKey == key }) else { continue }
                do {
                    let socket = try Self.openSocket(for: instance)
                    sockets[key] = socket
                    logger.notice("vrrp socket re-opened", metadata: [
                        "vip.interface": .string(interface), "vip.ifindex": .stringConvertible(socket.interfaceIndex)])
                } catch {
                    failed = true
                    logger.error("cannot re-open the vrrp socket", metadata: [
                        "vip.interface": .string(interface), "error": .string(error.description)])
                }
            }
            let changed = socketFailed.contains(interface) != failed
            if failed { socketFailed.insert(interface) } else { socketFailed.remove(interface) }
            if changed {
                for i in instances.indices where instances[i].config.interface == interface { evaluate(i, now: now) }
            }
        }
    }

    private func publishBoard(now: MonotonicInstant) {
        for instance in instances {
            let master = instance.machine.state == .master
            let reason = master ? "" : "\(node.name) is \(instance.machine.state.rawValue) for \(instance.name)"
            board.publish(name: "vip.\(instance.name)", status: master ? .passing : .critical, reason: reason,
                          last: CheckResult(status: master ? .passing : .critical, reason: reason, at: now),
                          interval: Self.boardInterval)
        }
    }

    private func publishSnapshot() {
        let statuses = instances.map { instance -> VIPStatus in
            var status = instance.status(base: instance.config.priorities[node.name] ?? 100)
            if let n = unmatched[instance.socketKey], n > 0 { status.dropped["vrid", default: 0] += n }
            return status
        }
        snapshot.withLock { $0 = statuses }
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
