import HACore
import Testing
@testable import VIPManager

/// `VIPRuntime` on virtual time: the engine-level policy (pins, takeover, release grace, handover
/// waiters, GARP/NA scheduling, link and socket faults) without sockets, netlink or root.
///
/// ctl1 (this node, 198.18.0.11) has priority 150, ctl2 100; adverts every 100 ms, so ctl1's
/// Master_Down_Interval is 300 ms + (256 - 150) * 100 ms / 256 = 341.40625 ms.
@Suite("VIP runtime: policy on virtual time")
struct VIPRuntimeTests {
    typealias H = RuntimeHarness
    static let masterDown: Duration = .nanoseconds(341_406_250)

    /// A runtime started at `H.start` and Master since `masterDown` later.
    static func master(_ config: VIPConfig = H.vip()) -> RuntimeHarness {
        let h = H([config])
        h.feed(.start)
        h.run(for: masterDown)
        return h
    }

    @Test("start joins as Backup; the Master_Down timer makes it Master: addresses, advert, then the GARP burst")
    func startAndAcquire() {
        let h = H([H.vip()])
        #expect(h.feed(.start) == [.transition(vip: "public", from: .initialize, to: .backup, reason: "startup", priority: 150),
                                    .publishBoard])
        #expect(h.runtime.nextDeadline == H.start + .milliseconds(100))   // the periodic evaluation
        let out = h.run(for: Self.masterDown)
        let at = H.start + Self.masterDown
        #expect(out.filter { $0.at == at }.map(\.effect) == [
            .addAddresses(vip: "public"), .sendAdvert(vip: "public", priority: 150),
            .transition(vip: "public", from: .backup, to: .master, reason: "master down timer expired", priority: 150),
            .publishBoard, .announce(vip: "public")])
        #expect(h.state() == .master)
    }

    @Test("GARP/NA: count rounds, delay apart, the first with the takeover; a refresh repeats the burst")
    func announcementSchedule() {
        let h = Self.master(H.vip(garp: GARPConfig(count: 3, delay: .milliseconds(200), refresh: .seconds(5))))
        let acquired = H.start + Self.masterDown
        let out = h.run(for: .seconds(6))
        let announced = h.timeline.filter { $0.effect == .announce(vip: "public") }.map(\.at)
        #expect(announced == [acquired, acquired + .milliseconds(200), acquired + .milliseconds(400),
                              acquired + .seconds(5), acquired + .seconds(5) + .milliseconds(200),
                              acquired + .seconds(5) + .milliseconds(400)])
        // Adverts keep their 100 ms cadence meanwhile.
        let adverts = out.filter { $0.effect == .sendAdvert(vip: "public", priority: 150) }.map(\.at)
        #expect(adverts.count == 60)
        #expect(zip(adverts, adverts.dropFirst()).allSatisfy { $1 - $0 == .milliseconds(100) })
    }

    @Test("a higher-priority advert demotes the Master; the addresses go only after the release grace")
    func releaseGrace() throws {
        let h = Self.master()
        let demoted = h.clock.now
        let effects = h.feed(.datagram(H.socket, try H.advert(from: H.ctl2.address, priority: 200)))
        #expect(effects == [.transition(vip: "public", from: .master, to: .backup,
                                        reason: "higher priority 200 advertisement from 198.18.0.12", priority: 150),
                            .publishBoard])
        #expect(h.state() == .backup)
        let out = h.run(for: .milliseconds(150))
        #expect(out.filter { $0.effect == .removeAddresses(vip: "public") }.map(\.at) == [demoted + VIPRuntime.releaseGrace])
        // The burst still due when demoted is not sent.
        #expect(!out.contains { $0.effect == .announce(vip: "public") })
    }

    @Test("taking the VIP back within the release grace keeps the addresses (no remove)")
    func graceCancelledByTakeover() throws {
        let h = Self.master()
        h.feed(.datagram(H.socket, try H.advert(from: H.ctl2.address, priority: 200)))
        h.run(for: .milliseconds(50))
        let effects = h.feed(.command(.takeover("public", pin: false, deadline: h.clock.now + .seconds(3), waiter: 1)))
        #expect(effects.contains(.answer(1, .master)))
        #expect(effects.contains(.addAddresses(vip: "public")))
        #expect(!h.run(for: .seconds(1)).contains { $0.effect == .removeAddresses(vip: "public") })
    }

    @Test("stopping releases at once: priority 0, remove now, pending waiters told the engine stopped")
    func shutdownReleasesAtOnce() {
        let h = H([H.vip()], waiters: ["public": [(9, H.start + .seconds(3))]])
        h.feed(.start)
        h.feed(.command(.stop))
        #expect(h.feed(.shutdown) == [
            .transition(vip: "public", from: .backup, to: .initialize, reason: "shutdown", priority: 150),
            .publishBoard, .answer(9, .failed(.stopped)), .publishBoard])
        let m = Self.master()
        m.feed(.command(.stop))
        #expect(m.feed(.shutdown).prefix(3) == [.sendAdvert(vip: "public", priority: 0), .removeAddresses(vip: "public"),
                                                .transition(vip: "public", from: .master, to: .initialize, reason: "shutdown", priority: 150)])
    }

    @Test("takeover with a pin: Master at once at priority 254, answered; the pin holds until a check fails")
    func pinnedTakeover() {
        let config = H.vip(track: [TrackEntry(check: "galera", effect: .weight(-60))])
        let h = H([config], node: H.ctl2)   // ctl2: priority 100, would not win on its own
        h.checks["galera"] = .passing
        h.feed(.start)
        let effects = h.feed(.command(.takeover("public", pin: true, deadline: h.clock.now + .seconds(3), waiter: 4)))
        #expect(effects == [
            .addAddresses(vip: "public"), .sendAdvert(vip: "public", priority: 254),
            .transition(vip: "public", from: .backup, to: .master, reason: "takeover", priority: 254),
            .publishBoard, .answer(4, .master)])
        #expect(h.runtime.instance(named: "public")?.pinned == true)
        #expect(h.runtime.statuses.first?.priorityReasons == ["pinned by handover"])
        // A failing tracked check clears the pin at the next evaluation and lowers the priority.
        h.checks["galera"] = .critical
        h.run(for: .milliseconds(100))
        #expect(h.runtime.instance(named: "public")?.pinned == false)
        #expect(h.runtime.instance(named: "public")?.machine.effectivePriority == 40)
        #expect(h.logs.contains("handover pin cleared"))
    }

    @Test("unpin clears the pin and re-evaluates at once")
    func unpin() {
        let h = H([H.vip()], node: H.ctl2)
        h.feed(.start)
        h.feed(.command(.takeover("public", pin: true, deadline: h.clock.now + .seconds(3), waiter: 1)))
        let effects = h.feed(.command(.unpin("public")))
        #expect(effects == [.sendAdvert(vip: "public", priority: 100)])
        #expect(h.runtime.instance(named: "public")?.pinned == false)
    }

    @Test("takeover is refused when drained, stopping, in fault, or for an unknown VIP")
    func takeoverRefused() {
        let h = H([H.vip(track: [TrackEntry(check: "haproxy", effect: .fault)])], node: H.ctl2)
        h.checks["haproxy"] = .passing
        h.feed(.start)
        let deadline = h.clock.now + .seconds(3)
        #expect(h.feed(.command(.takeover("nope", pin: false, deadline: deadline, waiter: 1))) == [.answer(1, .failed(.unknownVIP("nope")))])
        h.drained = true
        #expect(h.feed(.command(.takeover("public", pin: false, deadline: deadline, waiter: 2)))
                == [.answer(2, .failed(.refused("ctl2 is drained; resume it first")))])
        h.drained = false
        h.checks["haproxy"] = .critical
        let fault = h.feed(.command(.takeover("public", pin: true, deadline: deadline, waiter: 3)))
        #expect(fault.last == .answer(3, .failed(.refused("ctl2 is in fault for public: haproxy failing: fault"))))
        #expect(h.state() == .fault)
        h.checks["haproxy"] = .passing
        h.feed(.command(.leave))
        #expect(h.feed(.command(.takeover("public", pin: false, deadline: deadline, waiter: 4)))
                == [.answer(4, .failed(.refused("ctl2 is stopping")))])
    }

    @Test("a handover waiter is answered when the VIP becomes Master")
    func waiterAnswered() {
        let h = H([H.vip()], waiters: ["public": [(5, H.start + .seconds(3))]])
        h.feed(.start)
        let out = h.run(for: Self.masterDown)
        #expect(out.contains { $0.effect == .answer(5, .master) && $0.at == H.start + Self.masterDown })
        #expect(h.runtime.instance(named: "public")?.takeoverWaiters.isEmpty == true)
    }

    @Test("a handover waiter times out at its deadline, on the virtual clock")
    func waiterTimesOut() throws {
        let deadline = H.start + .milliseconds(250)
        let h = H([H.vip()], node: H.ctl2, waiters: ["public": [(6, deadline)]])
        h.feed(.start)
        // ctl1 is Master and keeps advertising: ctl2 stays Backup.
        for _ in 0..<3 {
            h.feed(.datagram(H.socket, try H.advert(from: H.ctl1.address, priority: 150)))
            h.run(for: .milliseconds(100))
        }
        let answers = h.timeline.filter { if case .answer = $0.effect { true } else { false } }
        #expect(answers.count == 1)
        #expect(answers.first?.at == deadline)
        #expect(answers.first?.effect == .answer(6, .failed(.timedOut("ctl2 did not become master of public in time"))))
    }

    @Test("link down: a Master goes to Fault with the link's own reason; link up: Backup, then Master again")
    func linkDownAndUp() {
        let h = Self.master()
        let down = h.feed(.link(.down("eth0")))
        #expect(down == [.sendAdvert(vip: "public", priority: 0),
                         .transition(vip: "public", from: .master, to: .fault,
                                     reason: "fault: interface eth0 is down or has no carrier", priority: 150),
                         .publishBoard])
        #expect(h.runtime.statuses.first?.priorityReasons == ["link down"])
        #expect(h.run(for: .milliseconds(100)).contains { $0.effect == .removeAddresses(vip: "public") })
        #expect(h.feed(.link(.down("eth1"))).isEmpty)   // another interface's VIPs only
        let up = h.feed(.link(.up("eth0")))
        #expect(up == [.transition(vip: "public", from: .fault, to: .backup, reason: "fault cleared", priority: 150), .publishBoard])
        h.run(for: Self.masterDown)
        #expect(h.state() == .master)
    }

    @Test("a tracked fault check keeps its reason text")
    func trackedFaultReason() {
        let h = H([H.vip(track: [TrackEntry(check: "haproxy", effect: .fault)])])
        h.checks["haproxy"] = .passing
        h.feed(.start)
        h.run(for: Self.masterDown)
        #expect(h.state() == .master)
        h.checks["haproxy"] = .critical
        let out = h.run(for: .milliseconds(100))
        #expect(out.contains { $0.effect == .transition(vip: "public", from: .master, to: .fault,
                                                         reason: "fault: tracked check failed", priority: 150) })
    }

    @Test("the socket is re-opened after 3 consecutive send failures; a success resets the count")
    func sendFailuresReopen() {
        let h = Self.master()
        #expect(h.feed(.sent(vip: "public", ok: false)).isEmpty)
        #expect(h.feed(.sent(vip: "public", ok: false)).isEmpty)
        #expect(h.feed(.sent(vip: "public", ok: true)).isEmpty)
        #expect(h.feed(.sent(vip: "public", ok: false)).isEmpty)
        #expect(h.feed(.sent(vip: "public", ok: false)).isEmpty)
        #expect(h.feed(.sent(vip: "public", ok: false)) == [.reopenSocket(interface: "eth0")])
        #expect(h.runtime.sendFailures[H.socket] == 3)
        // Re-opened: the count starts again, nothing else changes.
        #expect(h.feed(.socketReopened(interface: "eth0", ok: true)).isEmpty)
        #expect(h.runtime.sendFailures[H.socket] == nil)
        #expect(h.runtime.instance(named: "public")?.advertsSent == 1)
    }

    @Test("a socket that cannot be re-opened puts its VIPs in Fault until it can")
    func socketFailure() {
        let h = Self.master()
        let failed = h.feed(.socketReopened(interface: "eth0", ok: false))
        #expect(failed.contains(.transition(vip: "public", from: .master, to: .fault,
                                            reason: "fault: vrrp socket on eth0 cannot be opened", priority: 150)))
        #expect(h.runtime.socketFailed == ["eth0"])
        #expect(h.feed(.socketReopened(interface: "eth0", ok: false)).isEmpty)   // no change, no re-evaluation
        let back = h.feed(.socketReopened(interface: "eth0", ok: true))
        #expect(back.contains(.transition(vip: "public", from: .fault, to: .backup, reason: "fault cleared", priority: 150)))
    }

    @Test("datagrams: our own looped back is ignored, an unknown VRID is counted as unmatched, a bad one is dropped")
    func datagrams() throws {
        let h = H([H.vip()])
        h.feed(.start)
        #expect(h.feed(.datagram(H.socket, try H.advert(from: H.ctl1.address, priority: 150))).isEmpty)
        h.feed(.datagram(H.socket, try H.advert(from: H.ctl2.address, vrid: 77, priority: 100)))
        #expect(h.runtime.statuses.first?.dropped == ["vrid": 1])
        var bad = try H.advert(from: H.ctl2.address, priority: 100)
        bad.ttl = 64
        h.feed(.datagram(H.socket, bad))
        #expect(h.runtime.statuses.first?.dropped["ttl"] == 1)
        h.feed(.datagram(H.socket, try H.advert(from: H.ctl2.address, priority: 100)))
        #expect(h.runtime.statuses.first?.advertsReceived == 1)
        #expect(h.timeline.contains { $0.effect == .count(.dropped(vip: "-", reason: .vrid)) })
    }

    @Test("leave: a Master advertises the bottom priority at once and keeps the addresses")
    func leave() {
        let h = Self.master()
        #expect(h.feed(.command(.leave)) == [.sendAdvert(vip: "public", priority: 1)])
        #expect(h.state() == .master)
        #expect(h.runtime.statuses.first?.priorityReasons == ["stopping"])
    }

    @Test("the periodic evaluation follows the drain flag within 100 ms; reevaluate at once")
    func evaluation() {
        let h = Self.master()
        h.drained = true
        let out = h.run(for: .milliseconds(100))
        #expect(out.contains { $0.effect == .sendAdvert(vip: "public", priority: 1) })
        h.drained = false
        #expect(h.feed(.command(.reevaluate)) == [.sendAdvert(vip: "public", priority: 150)])
    }

    @Test("an IPv6 VIP without a usable link-local source waits in Fault, and serves once it has one")
    func advertSource() {
        let config = H.vip("v6", vrid: 61, address: "2001:db8::10/64")
        let h = H([config])
        h.sources["v6"] = .unavailable(reason: "link-local address fe80::1 on eth0 is tentative")
        h.feed(.start)
        #expect(h.state("v6") == .fault)
        #expect(h.runtime.instance(named: "v6")?.lastTransition?.reason == "fault: link-local address fe80::1 on eth0 is tentative")
        #expect(h.timeline.contains { $0.effect == .count(.sourceUnavailable(vip: "v6")) })
        h.sources["v6"] = .ready(ip("fe80::11"))
        h.run(for: .milliseconds(100))
        #expect(h.state("v6") == .backup)
        #expect(h.runtime.instance(named: "v6")?.machine.parameters.primaryAddress == ip("fe80::11"))
    }

    @Test("a notify command runs on every transition with keepalived's arguments")
    func notify() {
        let h = H([H.vip(notify: "/usr/local/bin/vip-notify")])
        let effects = h.feed(.start)
        #expect(effects.contains(.notify(command: "/usr/local/bin/vip-notify", arguments: ["INSTANCE", "public", "BACKUP", "150"],
                                         timeout: .seconds(5))))
    }

    @Test("the pure step leaves its input untouched")
    func pureStep() {
        let h = H([H.vip()])
        let before = h.runtime
        let (after, effects) = VIPRuntime.step(before, .start, now: H.start, sensors: h.sensors)
        #expect(before.instances.first?.machine.state == .initialize)
        #expect(after.instances.first?.machine.state == .backup)
        #expect(!effects.isEmpty)
    }
}
