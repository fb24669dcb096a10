import Foundation
import HACore
import Logging
import Synchronization

/// Runs every VIP of this node on one dedicated thread, keepalived-style: a poll loop over the VRRP
/// sockets with the runtime's earliest deadline as its timeout. The thread asks for SCHED_RR so
/// adverts keep their deadlines with both cores busy (it sleeps almost all the time).
///
/// The engine holds no policy: ``VIPRuntime`` decides (pins, takeover, release grace, handover
/// waiters, GARP/NA scheduling, link and socket faults); the engine feeds it inputs (commands,
/// datagrams, ticks, link changes, socket outcomes) at `clock.now` and executes its effects on the
/// sockets, netlink, the board and the notify commands (`VRRPEngine+Effects.swift`). Link and
/// socket plumbing is in `VRRPEngine+Links.swift`.
///
/// Threading: all mutable state marked "engine thread" is touched only on that thread, from
/// `start()` until the thread exits after `stop()`. Other threads post `Command`s to `inbox`
/// (Mutex) and wake the loop through a self-pipe; they read `snapshot` (Mutex). That is the
/// invariant behind `@unchecked Sendable`.
public final class VRRPEngine: @unchecked Sendable {
    public let node: Controller
    let controllers: [Controller]
    let configs: [VIPConfig]
    let board: HealthBoard
    let drained: @Sendable () -> Bool
    let logger: Logger
    let clock: any HAClock
    /// Unix seconds, for the status' last transition.
    let wallTime: @Sendable () -> Double
    let metrics: VIPMetrics

    private let inbox = Mutex<[Command]>([])
    private let snapshot = Mutex<[VIPStatus]>([])
    /// A self-pipe: commands wake the poll loop (eventfd/ppoll are not visible to Swift without _GNU_SOURCE).
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let running = Mutex(false)

    // engine thread
    var runtime: VIPRuntime
    var sockets: [VIPInstance.SocketKey: VRRPSocket] = [:]
    var addressManager: AddressManager?
    var announcers: [String: Announcer] = [:]
    var nextLinkCheck = MonotonicInstant.zero
    /// Link state of the VIP interfaces, fed by `linkMonitor` (netlink events) and the backstop poll.
    var links = LinkTracker(watching: [])
    var linkMonitor: LinkMonitor?
    /// Interfaces whose VRRP socket is to be re-opened (recreated interface, repeated send failures).
    var reopenDue: Set<String> = []
    private var stopReply: (@Sendable () -> Void)?
    /// Replies of the `takeover` callers the runtime has not answered yet.
    var waiters: [VIPRuntime.WaiterID: @Sendable (Result<Void, VIPError>) -> Void] = [:]
    private var nextWaiter: VIPRuntime.WaiterID = 0

    /// How long a demoted master keeps the addresses after the state machine released them (see
    /// ``VIPRuntime/releaseGrace``).
    public static let releaseGrace: Duration = VIPRuntime.releaseGrace
    /// Link changes arrive as netlink events (`LinkMonitor`) within milliseconds; this poll is only
    /// the backstop (lost events, an index that changed unseen, a socket that failed to re-open).
    static let linkCheckInterval: Duration = .seconds(1)
    /// Board entries `vip.NAME` are republished every evaluation; a stuck engine reads stale in 3 s.
    static let boardInterval: Duration = .seconds(1)

    enum Command {
        case takeover(String, pin: Bool, deadline: MonotonicInstant, reply: @Sendable (Result<Void, VIPError>) -> Void)
        case unpin(String)
        case leave
        case reevaluate
        case stop(reply: @Sendable () -> Void)
    }

    /// - Parameters:
    ///   - clock: the monotonic clock of every deadline (adverts, timers, takeover timeouts).
    ///   - wallClock: the time of the status' last transition.
    public init(vips: [VIPConfig], node: Controller, controllers: [Controller], board: HealthBoard,
                drained: @escaping @Sendable () -> Bool, logger: Logger, clock: any HAClock = SystemClock(),
                wallClock: any WallClock = SystemWallClock()) {
        self.configs = vips
        self.node = node
        self.controllers = controllers
        self.board = board
        self.drained = drained
        var logger = logger
        logger[metadataKey: "module"] = "vip"
        self.logger = logger
        self.clock = clock
        self.wallTime = { wallClock.now.timeIntervalSince1970 }
        self.metrics = VIPMetrics()
        self.runtime = VIPRuntime(node: node, instances: [])
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
        removeLeftovers(manager)
        runtime = VIPRuntime(node: node, instances: built)
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

    /// The VIPs this node is Master of (from the snapshot).
    public func held() -> [String] { status().filter { $0.role == .master }.map(\.name) }

    /// Whether this node is Master of `name` (from the snapshot; false for an unknown VIP).
    public func holds(_ name: String) -> Bool { status(of: name)?.role == .master }

    /// The advert interval of a VIP (for how long a release may take).
    public func advertInterval(of name: String) -> Duration? { configs.first { $0.name == name }?.advertInterval }

    /// Planned handover TO this node: take the VIP now (ignoring preempt), and with `pin` keep the top
    /// priority until the next handover, a drain or a restart. Returns once this node is Master, or
    /// fails after `timeout` on the engine's clock.
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
        var authPass: [UInt8]?
        if let file = config.authPassFile {
            do { authPass = Array(try SecretFile.read(file).utf8.prefix(8)) } catch { throw .secret(error.message) }
        }
        let source = AdvertSource.resolve(family: VIPInstance.family(of: config), interface: config.interface,
                                          controllerAddress: node.address)
        if case .unavailable(let reason) = source {
            for effect in VIPRuntime.sourceUnavailable(config.name, reason) { execute(effect, now: clock.now) }
        }
        return VIPInstance.make(config, index: index, node: node, controllers: controllers, authPass: authPass, source: source)
    }

    static func openSocket(for instance: VIPInstance) throws(VRRPSocketError) -> VRRPSocket {
        try VRRPSocket(interface: instance.config.interface, family: instance.socketKey.family)
    }

    private func removeLeftovers(_ manager: AddressManager) {
        for outcome in VIPCleanup.removeAddresses(of: configs, using: manager) {
            switch outcome {
            case .removed(let vip, let address, _):
                logger.notice("removed a VIP address left by a previous run", metadata: [
                    "vip.name": .string(vip), "vip.address": .string(address.description)])
            case .failed(let vip, _, _, let error):
                logger.error("cannot remove a leftover VIP address", metadata: [
                    "vip.name": .string(vip), "error": .string(error)])
            }
        }
    }

    // MARK: the loop (engine thread)

    private func loop() {
        RealtimeScheduling.request(logger: logger)
        let now = clock.now
        checkLinks(now: now)
        run(.start, now: now)
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
            run(.tick, now: now)
            publishSnapshot()
            waitForInput(until: min(runtime.nextDeadline, nextLinkCheck))
        }
        run(.shutdown, now: clock.now)
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
                run(.command(.stop), now: now)
            case .reevaluate: run(.command(.reevaluate), now: now)
            case .leave: run(.command(.leave), now: now)
            case .unpin(let name): run(.command(.unpin(name)), now: now)
            case .takeover(let name, let pin, let deadline, let reply):
                let id = nextWaiter
                nextWaiter += 1
                waiters[id] = reply
                run(.command(.takeover(name, pin: pin, deadline: deadline, waiter: id)), now: now)
            }
        }
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
        for datagram in datagrams { run(.datagram(key, datagram), now: now) }
    }

    // MARK: the runtime (engine thread)

    /// Feeds `input` to the runtime and executes its effects in order.
    func run(_ input: VIPRuntime.Input, now: MonotonicInstant) {
        for effect in runtime.handle(input, now: now, sensors: sensors) { execute(effect, now: now) }
    }

    /// Interfaces whose VRRP socket the runtime considers failed (the backstop retries them).
    var socketFailed: Set<String> { runtime.socketFailed }

    var instances: [VIPInstance] { runtime.instances }

    /// What the runtime reads at evaluation time: the board, the drain flag, the advert source lookup.
    private var sensors: VIPRuntime.Sensors {
        let board = board, node = node
        return VIPRuntime.Sensors(
            drained: drained,
            checkStatus: { board.read($0, now: $1)?.status },
            advertSource: { AdvertSource.resolve(family: $0.socketKey.family, interface: $0.config.interface,
                                                 controllerAddress: node.address) },
            wallTime: wallTime)
    }

    private func publishSnapshot() {
        let statuses = runtime.statuses
        snapshot.withLock { $0 = statuses }
    }
}
