import HACore
import Logging

// Link and socket plumbing of the engine (engine thread): netlink link events and the backstop
// poll feed `VIPRuntime` link changes; sockets are re-opened here and the outcome fed back.
extension VRRPEngine {
    /// Reads the queued link events and applies them in order (a down and an up in one batch is a fault
    /// and its end); on a lost event (`ENOBUFS`) re-reads every link.
    func readLinkEvents(now: MonotonicInstant) {
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
    func checkLinks(now: MonotonicInstant) {
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
                run(.link(.down(interface)), now: now)
            case .up(let interface):
                run(.link(.up(interface)), now: now)
            case .recreated(let interface, let index):
                logger.notice("interface recreated", metadata: ["vip.interface": .string(interface), "vip.ifindex": .stringConvertible(index)])
                reopenDue.insert(interface)
                reopenSockets(now: now)
            }
        }
    }

    /// Re-opens the VRRP sockets of the interfaces in `reopenDue` on their current index. One that
    /// cannot be opened puts the VIPs of its interface in Fault (the runtime's rule); the backstop retries it.
    func reopenSockets(now: MonotonicInstant) {
        let due = reopenDue
        reopenDue = []
        for interface in due.sorted() {
            var failed = false
            for key in Set(instances.map(\.socketKey)) where key.interface == interface {
                sockets.removeValue(forKey: key)?.close()
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
            run(.socketReopened(interface: interface, ok: !failed), now: now)
        }
    }
}
