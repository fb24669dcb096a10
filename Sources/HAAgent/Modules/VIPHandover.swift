import HACore
import Logging
import VIPManager

/// Loss-free release of the VIPs this node holds: we advertise the bottom priority (drain or leave),
/// then ask the best peer to take over; it adds the addresses and announces them, and only when we
/// hear its advert do we release ours. Nothing is pinned, so normal priorities apply afterwards.
enum VIPHandover {
    static let peerTimeout: Duration = .seconds(2)

    /// How long to keep the VIP while waiting for a successor. When no hactl peer takes over (a
    /// keepalived backup, say), the backups take over only when their Master_Down timer fires
    /// (3 intervals + skew) after hearing our bottom priority, so wait for that and a margin.
    static func releaseTimeout(advertInterval: Duration) -> Duration {
        max(.seconds(2), advertInterval * 4 + .milliseconds(500))
    }

    /// Bound on a whole `giveAway`, however many VIPs and peers: the unit's stop timeout must cover
    /// it plus the HTTP drain.
    static let giveAwayBudget: Duration = .seconds(10)

    /// Hands every VIP this node is master of to a peer, all VIPs at once; returns within `budget`
    /// (a VIP not released by then stays for `engine.stop()`'s priority-0 advert).
    static func giveAway(_ context: AgentContext, engine: VRRPEngine, reason: String,
                         budget: Duration = giveAwayBudget) async {
        let held = engine.held()
        guard !held.isEmpty else { return }
        await withTaskGroup(of: Bool.self) { tasks in
            for name in held {
                tasks.addTask {
                    let taker = await askPeers(context, vip: name)
                    let released = await waitUntilReleased(context, engine: engine, vip: name)
                    context.logger.notice(released ? "VIP handed over" : "VIP not handed over in time", metadata: [
                        "vip.name": .string(name), "vip.to": .string(taker ?? "-"), "reason": .string(reason)])
                    return true
                }
            }
            tasks.addTask { try? await Task.sleep(for: budget); return false }
            var done = 0
            while done < held.count, let isVIP = await tasks.next() {
                guard isVIP else {
                    context.logger.warning("VIP handover budget spent", metadata: ["budget": .string("\(budget)")])
                    break
                }
                done += 1
            }
            tasks.cancelAll()
        }
    }

    /// The other controllers in descending configured priority for `vip` (config order among equals):
    /// the order in which they are asked to take over.
    static func peerOrder(_ vip: VIPConfig, controllers: [Controller], node: String) -> [Controller] {
        controllers.filter { $0.name != node }
            .enumerated()
            .sorted { a, b in
                let (pa, pb) = (vip.priorities[a.element.name] ?? 0, vip.priorities[b.element.name] ?? 0)
                return pa != pb ? pa > pb : a.offset < b.offset
            }
            .map(\.element)
    }

    /// Peers in descending configured priority for this VIP; the first that takes over wins.
    static func askPeers(_ context: AgentContext, vip: String) async -> String? {
        let config = context.config
        guard let vipConfig = config.vips.first(where: { $0.name == vip }) else { return nil }
        let peers = peerOrder(vipConfig, controllers: config.controllers, node: context.node.name)
        var client = context.peers
        client.timeout = peerTimeout
        let body = (try? JSONEncoderFactory.encode(TakeoverRequest(pin: false))) ?? []
        for peer in peers {
            do {
                let result = try await client.admin("/v1/vip/\(vip)/takeover", on: peer, body: body)
                if result.ok { return peer.name }
                context.logger.info("peer declined takeover", metadata: ["vip.name": .string(vip), "peer": .string(peer.name), "message": .string(result.message)])
            } catch {
                context.logger.info("peer takeover failed", metadata: ["vip.name": .string(vip), "peer": .string(peer.name), "error": .string(error.description)])
            }
        }
        return nil
    }

    static func waitUntilReleased(_ context: AgentContext, engine: VRRPEngine, vip: String) async -> Bool {
        await waitUntilReleased(holds: { engine.holds(vip) }, advertInterval: engine.advertInterval(of: vip) ?? .seconds(1),
                                clock: context.clock)
    }

    /// Polls `holds` every 10 ms on `clock` until it is false (then lets the engine's release grace run
    /// out, since a stop would release the addresses at once) or ``releaseTimeout(advertInterval:)``
    /// passes. True when released. Cancellation ends the wait early.
    static func waitUntilReleased(holds: () -> Bool, advertInterval: Duration, clock: any HAClock) async -> Bool {
        let deadline = clock.now + releaseTimeout(advertInterval: advertInterval)
        while clock.now < deadline, !Task.isCancelled {
            if !holds() {
                try? await clock.sleep(for: VRRPEngine.releaseGrace + .milliseconds(20))
                return true
            }
            try? await clock.sleep(for: .milliseconds(10))
        }
        return !holds()
    }
}
