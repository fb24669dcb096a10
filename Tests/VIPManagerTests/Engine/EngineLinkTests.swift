import Foundation
import HACore
import Logging
import Synchronization
import Testing
@testable import VIPManager

/// The engine against a real kernel in a private namespace pair (`SocketLab`): link changes are
/// followed by netlink events, and a recreated interface gets a new VRRP socket.
///
/// Namespace A runs the engine (ctl1, 198.18.201.1, priority 150, preempt off) on `vrrp0`; namespace B
/// is the other end of the veth and plays ctl2 (198.18.201.2) with a VRRP socket of its own.
@Suite("VRRP engine: link events", .serialized, .enabled(if: getuid() == 0, "needs root: network namespaces and raw sockets"), .timeLimit(.minutes(1)))
struct EngineLinkTests {
    static let vip = SocketLab.address("198.18.201.10")
    static let group = VRRPCodec.multicastGroupIPv4

    static func engine() -> VRRPEngine {
        let config = VIPConfig(
            name: "public", vrid: 51, interface: SocketLab.interface,
            addresses: [IPNetwork(address: vip, prefixLength: 24)!],
            priorities: ["ctl1": 150, "ctl2": 100], advertInterval: .milliseconds(100), preempt: false,
            garp: GARPConfig(count: 1))
        let controllers = [Controller(name: "ctl1", address: SocketLab.addressA), Controller(name: "ctl2", address: SocketLab.addressB)]
        return VRRPEngine(vips: [config], node: controllers[0], controllers: controllers, board: HealthBoard(),
                          drained: { false }, logger: Logger(label: "engine-link-test"))
    }

    /// Polls `condition` every 10 ms for at most `timeout` (a condition, not a guessed sleep). Async:
    /// it must not hold a cooperative thread, the peer's job is started from the pool.
    static func eventually(_ timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    static func state(_ engine: VRRPEngine) -> String? { engine.status(of: "public")?.state }

    /// ctl2 in namespace B: a master at priority 100 advertising every 100 ms until `stop`.
    final class Peer: Sendable {
        let stopped = Atomic<Bool>(false)
        let sent = Atomic<Int>(0)
        let lastError = Mutex<String?>(nil)

        func run() throws {
            let socket = try VRRPSocket(interface: SocketLab.interface, family: .v4)
            defer { socket.close() }
            let advert = VRRPAdvertisement(vrid: 51, priority: 100, maxAdvertInterval: .milliseconds(100),
                                           addresses: [EngineLinkTests.vip])
            let message = try VRRPCodec.encode(advert, source: SocketLab.addressB, destination: EngineLinkTests.group)
            while !stopped.load(ordering: .relaxed) {
                // While its own end is down (the flap) a send fails: a real peer goes on too.
                do {
                    try socket.send(message, to: EngineLinkTests.group)
                    sent.add(1, ordering: .relaxed)
                } catch {
                    lastError.withLock { $0 = String(describing: error) }
                }
                _ = poll(nil, 0, 100)
            }
        }
    }

    @Test("a link flap of a few milliseconds is a fault: the old master comes back as Backup (preempt off)")
    func shortFlap() async throws {
        try await SocketLab.withPair { a, b in
            let engine = Self.engine()
            try await a.run { try engine.start() }
            #expect(await Self.eventually { Self.state(engine) == "master" }, "alone, ctl1 becomes master")
            // ctl2 appears as a (lower-priority) master too: ctl1 keeps the VIP, as the RFC says.
            let peer = Peer()
            let peerDone = Task.detached {
                do { try await b.run { try peer.run() } } catch { peer.lastError.withLock { $0 = "open: \(error)" } }
            }
            #expect(await Self.eventually(.seconds(10)) { (engine.status(of: "public")?.advertsReceived ?? 0) >= 3 },
                    "ctl1 hears ctl2 (sent \(peer.sent.load(ordering: .relaxed)), last error \(String(describing: peer.lastError.withLock { $0 })))")
            #expect(Self.state(engine) == "master")

            // The cable flaps (B's end down and up again in one command: a few ms, far below any poll).
            // (From A's thread: B's is busy being the peer.)
            let peerNamespace = b.namespace
            let flap = try await a.run {
                try SocketLab.run(["sh", "-c", "ip -n \(peerNamespace) link set \(SocketLab.interface) down && ip -n \(peerNamespace) link set \(SocketLab.interface) up"])
            }
            #expect(flap.code == 0)
            // Seen by the event: Fault, then Backup; with preempt off ctl1 stays Backup under ctl2's adverts.
            #expect(await Self.eventually { Self.state(engine) == "backup" }, "ctl1 saw the flap: \(String(describing: engine.status(of: "public")))")
            try await Task.sleep(for: .seconds(1))   // a second of ctl2's adverts: still Backup (no preemption)
            #expect(Self.state(engine) == "backup")
            let addresses = try await a.run {
                try SocketLab.run(["ip", "-o", "-4", "addr", "show", "dev", SocketLab.interface]).stdout
            }
            #expect(!addresses.contains("198.18.201.10/"), "the VIP was released: \(addresses)")

            peer.stopped.store(true, ordering: .relaxed)
            await peerDone.value
            await engine.stop()
        }
    }

    @Test("an interface deleted and created again (new index) gets a new VRRP socket and adverts flow again")
    func recreatedInterface() async throws {
        try await SocketLab.withPair { a, b in
            let engine = Self.engine()
            try await a.run { try engine.start() }
            #expect(await Self.eventually { Self.state(engine) == "master" })
            let before = try await a.run { try AddressManager().interfaceIndex(SocketLab.interface) }

            // Delete the veth (both ends) and create it again with the same names and addresses.
            let interface = SocketLab.interface
            try await a.run {
                try SocketLab.run(["ip", "link", "del", interface])
                try SocketLab.run(["ip", "link", "add", interface, "type", "veth", "peer", "name", interface, "netns", b.namespace])
                try SocketLab.run(["ip", "address", "add", "198.18.201.1/24", "dev", interface])
                try SocketLab.run(["ip", "link", "set", interface, "up"])
            }
            try await b.run {
                try SocketLab.run(["ip", "address", "add", "198.18.201.2/24", "dev", interface])
                try SocketLab.run(["ip", "link", "set", interface, "up"])
            }
            let after = try await a.run { try AddressManager().interfaceIndex(SocketLab.interface) }
            #expect(before != after, "the kernel gave the new interface a new index")

            // B listens on the new interface: ctl1's adverts must arrive there (a socket left on the old
            // index would send nothing).
            let heard = try await b.run { () throws -> Bool in
                let socket = try VRRPSocket(interface: interface, family: .v4)
                defer { socket.close() }
                let deadline = ContinuousClock.now + .seconds(5)
                while ContinuousClock.now < deadline {
                    let batch = try SocketLab.receiveNext(socket, timeout: 500)
                    if batch.contains(where: { $0.source == SocketLab.addressA }) { return true }
                }
                return false
            }
            #expect(heard, "adverts from ctl1 on the recreated interface: \(String(describing: engine.status(of: "public")))")
            #expect(await Self.eventually { Self.state(engine) == "master" })
            await engine.stop()
        }
    }

    @Test("the link monitor reports a peer's few-ms flap at once: down then up, or an up whose carrier counter moved")
    func monitorLatency() async throws {
        try await SocketLab.withPair { a, b in
            let peerNamespace = b.namespace
            let (changes, elapsed, command) = try await a.run { () throws -> ([LinkTracker.Change], Duration, Duration) in
                let monitor = try LinkMonitor()
                var tracker = LinkTracker(watching: [SocketLab.interface])
                _ = tracker.observe(try AddressManager().linkEvent(SocketLab.interface))
                let interface = SocketLab.interface
                let started = ContinuousClock.now
                try SocketLab.run(["sh", "-c", "ip -n \(peerNamespace) link set \(interface) down && ip -n \(peerNamespace) link set \(interface) up"])
                let commandDone = ContinuousClock.now
                var changes: [LinkTracker.Change] = []
                while changes.count < 2, ContinuousClock.now - started < .seconds(5) {
                    guard SocketLab.waitReadable(monitor.fileDescriptor, timeout: 500) else { continue }
                    for event in monitor.read().events { changes += tracker.observe(event) }
                }
                return (changes, ContinuousClock.now - commandDone, commandDone - started)
            }
            #expect(changes == [.down(SocketLab.interface), .up(SocketLab.interface)])
            // Measured from the end of the flap command (two `ip` runs). The kernel sends the event when its
            // linkwatch runs: at once for "urgent" devices, else batched up to 1 s (what a veth pair whose
            // two ends have the same index gets: ~950 ms here). Bound generous for a loaded 2-core machine.
            #expect(elapsed < .seconds(3), "flap seen \(elapsed) after the command")
            print("link monitor: flap (command \(command)) read \(elapsed) after the command returned")
        }
    }
}
