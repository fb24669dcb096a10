import GaleraProbe
import HACore
import Testing

/// `WriterTakeover` on virtual time: peer reports read as candidacies and hold-out peers, the choice,
/// and the hold-out before taking over from a writer that may still answer 200. Three controllers;
/// this node is ctl2; rounds every 2 s, take-over delay 3.6 s (interval + peer timeout).
@Suite("Writer takeover: the rule on virtual time")
struct WriterTakeoverTests {
    static let t0 = MonotonicInstant(nanoseconds: 1_000_000_000_000)
    static let interval: Duration = .seconds(2)
    static let takeoverDelay: Duration = .milliseconds(3600)

    static func rule() -> WriterTakeover {
        WriterTakeover(node: "ctl2", controllers: 3, holdDown: .seconds(30), takeoverDelay: takeoverDelay,
                       statusWindow: interval * 3)
    }

    static var primary: GaleraStatus {
        var status = GaleraStatus()
        status.clusterStatus = "Primary"
        status.clusterSize = 3
        status.clusterStateUUID = "uuid-a"
        return status
    }

    static func report(_ node: String, passingFor: Double? = 100, claims: Bool = false, drained: Bool? = nil,
                       wsrep: GaleraStatus? = primary, statusAge: Double = 0.1) -> GaleraReport {
        GaleraReport(node: node, status: passingFor == nil ? .critical : .passing, reason: passingFor == nil ? "down" : "ok",
                     passingForSeconds: passingFor, ageSeconds: 0.1, wsrep: wsrep, statusAgeSeconds: statusAge,
                     writer: claims ? node : nil, drained: drained)
    }

    /// ctl1 failing (down), ctl2 (us) passing for a minute, ctl3 as given.
    static func round(_ ctl3: WriterTakeover.Seen, ctl1: WriterTakeover.Seen? = nil, at now: MonotonicInstant) -> WriterTakeover.Event {
        .round(.init(seen: [ctl1 ?? .report(report("ctl1", passingFor: nil), received: now),
                            .local(.passing("ctl2", since: t0 - .seconds(60))), ctl3],
                     local: .passing(viewSize: 3), clusterUUID: "uuid-a"))
    }

    @Test("a peer's report as a candidacy: drained, failing, or passing since receive minus passing_for (bounded)")
    func candidacy() {
        let at = Self.t0
        #expect(WriterTakeover.candidate(Self.report("ctl1", drained: true), received: at) == .drained("ctl1"))
        #expect(WriterTakeover.candidate(Self.report("ctl1", passingFor: nil), received: at) == .failing("ctl1"))
        #expect(WriterTakeover.candidate(Self.report("ctl1", passingFor: 30), received: at) == .passing("ctl1", since: at - .seconds(30)))
        #expect(WriterTakeover.candidate(Self.report("ctl1", passingFor: .infinity), received: at) == .failing("ctl1"))
        #expect(WriterTakeover.candidate(Self.report("ctl1", passingFor: 1e12), received: at)
                == .passing("ctl1", since: at - .seconds(GaleraReport.maxSeconds)))
    }

    @Test("confirms Primary only with a current status, reading Primary, in our cluster")
    func confirmsPrimary() {
        let window = Self.interval * 3
        #expect(WriterTakeover.confirmsPrimary(Self.report("ctl1"), window: window, clusterUUID: "uuid-a"))
        #expect(WriterTakeover.confirmsPrimary(Self.report("ctl1"), window: window, clusterUUID: nil))
        #expect(!WriterTakeover.confirmsPrimary(Self.report("ctl1"), window: window, clusterUUID: "uuid-b"))
        #expect(!WriterTakeover.confirmsPrimary(Self.report("ctl1", statusAge: 7), window: window, clusterUUID: "uuid-a"))
        var nonPrimary = Self.primary
        nonPrimary.clusterStatus = "non-Primary"
        #expect(!WriterTakeover.confirmsPrimary(Self.report("ctl1", wsrep: nonPrimary), window: window, clusterUUID: "uuid-a"))
    }

    @Test("chosen while the old writer still claims the role: hold out, take over once it stepped down")
    func holdOutThenTakeOver() {
        var rule = Self.rule()
        let t0 = Self.t0
        let first = rule.handle(Self.round(.report(Self.report("ctl3", passingFor: 10), received: t0),
                                           at: t0), now: t0)
        #expect(rule.writer == "ctl2")
        #expect(first == [
            .writerChanged(.init(from: nil, to: "ctl2", at: t0), candidates: [
                .failing("ctl1"), .passing("ctl2", since: t0 - .seconds(60)), .passing("ctl3", since: t0 - .seconds(10))]),
            .gate(.publish(passing: true, reason: "ok")), .gate(.claimed)])

        // A fresh rule whose round sees ctl1, drained, still claiming (it has not run its round since).
        var held = Self.rule()
        let stillWriter = WriterTakeover.Seen.report(
            GaleraReport(node: "ctl1", status: .passing, reason: "ok", passingForSeconds: 5, ageSeconds: 0.1, wsrep: Self.primary,
                         statusAgeSeconds: 0.1, writer: "ctl1", drained: true), received: t0)
        let out = held.handle(Self.round(.report(Self.report("ctl3"), received: t0), ctl1: stillWriter, at: t0), now: t0)
        #expect(held.writer == "ctl2")   // ctl1 is drained: not a candidate, but it still claims the role
        #expect(out.last == .gate(.publish(passing: false, reason: "taking over as writer once ctl1 stepped down")))
        // Still claiming one round later: held out.
        let t1 = t0 + Self.interval
        #expect(held.handle(Self.round(.report(Self.report("ctl3"), received: t1), ctl1: stillWriter, at: t1), now: t1).last
                == .gate(.publish(passing: false, reason: "taking over as writer once ctl1 stepped down")))
        // It stepped down: take over at once.
        let stepped = WriterTakeover.Seen.report(Self.report("ctl1", drained: true), received: t1)
        let t2 = t1 + .milliseconds(100)
        #expect(held.handle(Self.round(.report(Self.report("ctl3"), received: t2), ctl1: stepped, at: t2), now: t2)
                == [.gate(.publish(passing: true, reason: "ok")), .gate(.claimed)])
    }

    @Test("an unheard peer may still answer 200: take over only after the take-over delay")
    func unheardPeerWaitsForTheDelay() {
        var rule = Self.rule()
        let t0 = Self.t0
        let refused = WriterTakeover.Event.round(.init(
            seen: [.unheard("ctl1"), .local(.passing("ctl2", since: t0 - .seconds(60))), .report(Self.report("ctl3", passingFor: 10), received: t0)],
            local: .passing(viewSize: 3), clusterUUID: "uuid-a"))
        #expect(rule.handle(refused, now: t0).last == .gate(.publish(passing: false, reason: "taking over as writer once ctl1 stepped down")))
        #expect(rule.handle(refused, now: t0 + .seconds(2)).last
                == .gate(.publish(passing: false, reason: "taking over as writer once ctl1 stepped down")))
        #expect(rule.handle(refused, now: t0 + Self.takeoverDelay) == [.gate(.publish(passing: true, reason: "ok")), .gate(.claimed)])
    }

    @Test("no quorum of agents: no writer here, and stepping down is immediate")
    func noQuorum() {
        var rule = Self.rule()
        let t0 = Self.t0
        _ = rule.handle(Self.round(.report(Self.report("ctl3", passingFor: 10), received: t0), at: t0), now: t0)
        #expect(rule.holdout.claiming)
        let t1 = t0 + Self.interval
        let alone = WriterTakeover.Event.round(.init(
            seen: [.unheard("ctl1"), .local(.passing("ctl2", since: t0 - .seconds(60))), .unheard("ctl3")],
            local: .passing(viewSize: 3), clusterUUID: "uuid-a"))
        let reason = "no quorum of agents: heard 1 of 3 controllers, need 2"
        #expect(rule.handle(alone, now: t1) == [.gate(.publish(passing: false, reason: reason)), .gate(.steppedDown(reason))])
    }

    @Test("between rounds: a failing local verdict or a drain steps down at once")
    func betweenRounds() {
        var rule = Self.rule()
        let t0 = Self.t0
        _ = rule.handle(Self.round(.report(Self.report("ctl3"), received: t0), at: t0), now: t0)
        #expect(rule.handle(.holdout(.localFailed("donor/desynced")), now: t0 + .seconds(1))
                == [.gate(.publish(passing: false, reason: "donor/desynced")), .gate(.steppedDown("donor/desynced"))])
        #expect(rule.handle(.holdout(.drained), now: t0 + .seconds(1)) == [.gate(.publish(passing: false, reason: WriterHoldout.drainedReason))])
    }

    @Test("a peer in another cluster does not confirm Primary")
    func otherCluster() {
        var rule = Self.rule()
        let t0 = Self.t0
        var other = Self.primary
        other.clusterStateUUID = "uuid-b"
        let ctl1 = WriterTakeover.Seen.report(Self.report("ctl1", passingFor: nil, wsrep: nil), received: t0)
        let out = rule.handle(Self.round(.report(Self.report("ctl3", wsrep: other), received: t0), ctl1: ctl1, at: t0), now: t0)
        #expect(out.last == .gate(.publish(passing: false, reason: "Primary not confirmed: 1 of 3 nodes in the view report Primary, need 2")))
    }
}
