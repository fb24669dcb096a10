import HACore
import Testing
@testable import GaleraProbe

private func t(_ seconds: Double) -> MonotonicInstant { MonotonicInstant(nanoseconds: Int64(seconds * 1_000_000_000)) }

private func heard(_ name: String, primary: Bool = true, claims: Bool = false) -> WriterHoldout.Peer {
    WriterHoldout.Peer(name: name, heard: true, confirmsPrimary: primary, claimsWriter: claims)
}

/// The writer gate on ctl1 of three controllers (takeover delay 2 s), one round at a time on a manual
/// time line: the endpoint passes only when every condition holds in the same round.
@Suite("WriterHoldout")
struct WriterHoldoutTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var round: WriterHoldout.Round
        var passing: Bool
        var reason: String
        var testDescription: String { name }
    }

    static let table: [Row] = [
        Row(name: "all heard, all Primary, chosen: writer",
            round: .init(writer: "ctl1", local: .passing(viewSize: 3), peers: [heard("ctl2"), heard("ctl3")]),
            passing: true, reason: "ok"),
        Row(name: "local non-Primary: never, whatever else",
            round: .init(writer: "ctl1", local: .failing("non-Primary (cluster_status=non-Primary)"), peers: [heard("ctl2"), heard("ctl3")]),
            passing: false, reason: "non-Primary (cluster_status=non-Primary)"),
        Row(name: "local probe stale: never",
            round: .init(writer: "ctl1", local: .failing(HealthBoard.staleReason), peers: [heard("ctl2"), heard("ctl3")]),
            passing: false, reason: HealthBoard.staleReason),
        Row(name: "drained: never",
            round: .init(writer: "ctl1", local: .passing(viewSize: 3), drained: true, peers: [heard("ctl2"), heard("ctl3")]),
            passing: false, reason: WriterHoldout.drainedReason),
        Row(name: "another is chosen",
            round: .init(writer: "ctl2", local: .passing(viewSize: 3), peers: [heard("ctl2"), heard("ctl3")]),
            passing: false, reason: "not the designated writer (ctl2 is)"),
        Row(name: "two peers killed (agents up, servers down), survivor still reads Primary with a view of 3",
            round: .init(writer: "ctl1", local: .passing(viewSize: 3),
                         peers: [heard("ctl2", primary: false), heard("ctl3", primary: false)]),
            passing: false, reason: "Primary not confirmed: 1 of 3 nodes in the view report Primary, need 2"),
        Row(name: "one peer down, view already shrunk to 2: one confirmation is enough",
            round: .init(writer: "ctl1", local: .passing(viewSize: 2), peers: [heard("ctl2"), heard("ctl3", primary: false)]),
            passing: true, reason: "ok"),
        Row(name: "one peer down, view still 3 (before the suspect timeout): 2 of 3 confirm",
            round: .init(writer: "ctl1", local: .passing(viewSize: 3), peers: [heard("ctl2"), heard("ctl3", primary: false)]),
            passing: true, reason: "ok"),
        Row(name: "two left cleanly (view 1), their agents heard: writer",
            round: .init(writer: "ctl1", local: .passing(viewSize: 1),
                         peers: [heard("ctl2", primary: false), heard("ctl3", primary: false)]),
            passing: true, reason: "ok"),
        Row(name: "API-only partition / secret rotation: no peer heard",
            round: .init(writer: "ctl1", local: .passing(viewSize: 3), peers: [.unheard("ctl2"), .unheard("ctl3")]),
            passing: false, reason: "no quorum of agents: heard 1 of 3 controllers, need 2"),
        Row(name: "view 1 but nobody heard: no quorum of agents",
            round: .init(writer: "ctl1", local: .passing(viewSize: 1), peers: [.unheard("ctl2"), .unheard("ctl3")]),
            passing: false, reason: "no quorum of agents: heard 1 of 3 controllers, need 2"),
        Row(name: "unknown view size counts as the controllers",
            round: .init(writer: "ctl1", local: .passing(viewSize: nil), peers: [heard("ctl2", primary: false), heard("ctl3", primary: false)]),
            passing: false, reason: "Primary not confirmed: 1 of 3 nodes in the view report Primary, need 2"),
        Row(name: "absurd view sizes are clamped, never trap",
            round: .init(writer: "ctl1", local: .passing(viewSize: Int.max), peers: [heard("ctl2"), heard("ctl3")]),
            passing: false, reason: "Primary not confirmed: 3 of 64 nodes in the view report Primary, need 33"),
        Row(name: "negative view size is clamped to 1",
            round: .init(writer: "ctl1", local: .passing(viewSize: Int.min), peers: [heard("ctl2"), heard("ctl3")]),
            passing: true, reason: "ok"),
        Row(name: "an unheard peer cannot confirm Primary",
            round: .init(writer: "ctl1", local: .passing(viewSize: 3),
                         peers: [WriterHoldout.Peer(name: "ctl2", heard: false, confirmsPrimary: true), heard("ctl3", primary: false)]),
            passing: false, reason: "Primary not confirmed: 1 of 3 nodes in the view report Primary, need 2"),
    ]

    /// A gate that has been eligible for long: only the round decides (no takeover wait).
    static func settled() -> WriterHoldout {
        var gate = WriterHoldout(node: "ctl1", controllers: 3, takeoverDelay: .seconds(2))
        _ = gate.handle(.round(.init(writer: "ctl1", local: .passing(viewSize: 3), peers: [heard("ctl2"), heard("ctl3")])), now: t(0))
        return gate
    }

    @Test("gate table", arguments: table)
    func gate(_ row: Row) {
        let (_, actions) = WriterHoldout.step(Self.settled(), .round(row.round), now: t(10))
        #expect(actions.first == .publish(passing: row.passing, reason: row.reason))
        #expect(actions.contains { if case .steppedDown = $0 { true } else { false } } == !row.passing)
    }

    @Test("takeover waits for a peer that still claims the role or was not heard, at most the delay")
    func takeover() {
        var gate = WriterHoldout(node: "ctl1", controllers: 3, takeoverDelay: .seconds(2))
        let claiming = WriterHoldout.Round(writer: "ctl1", local: .passing(viewSize: 3), peers: [heard("ctl2", claims: true), heard("ctl3")])
        #expect(gate.handle(.round(claiming), now: t(0)) == [.publish(passing: false, reason: "taking over as writer once ctl2 stepped down")])
        #expect(gate.handle(.round(claiming), now: t(1.9)).first == .publish(passing: false, reason: "taking over as writer once ctl2 stepped down"))
        #expect(gate.handle(.round(claiming), now: t(2)) == [.publish(passing: true, reason: "ok"), .claimed])
        // Stepped down at once, claimed again at once when the peer stopped claiming.
        var other = WriterHoldout(node: "ctl1", controllers: 3, takeoverDelay: .seconds(2))
        _ = other.handle(.round(claiming), now: t(0))
        let released = WriterHoldout.Round(writer: "ctl1", local: .passing(viewSize: 3), peers: [heard("ctl2"), heard("ctl3")])
        #expect(other.handle(.round(released), now: t(0.5)) == [.publish(passing: true, reason: "ok"), .claimed])
        // One unheard peer (majority still heard) is a holdout for the delay.
        var third = WriterHoldout(node: "ctl1", controllers: 3, takeoverDelay: .seconds(2))
        let oneUnheard = WriterHoldout.Round(writer: "ctl1", local: .passing(viewSize: 2), peers: [heard("ctl2"), .unheard("ctl3")])
        #expect(third.handle(.round(oneUnheard), now: t(0)).first == .publish(passing: false, reason: "taking over as writer once ctl3 stepped down"))
        #expect(third.handle(.round(oneUnheard), now: t(2.5)).first == .publish(passing: true, reason: "ok"))
    }

    @Test("losing eligibility restarts the takeover wait; between-round events step down at once")
    func eligibilityResets() {
        var gate = Self.settled()
        #expect(gate.claiming)
        #expect(gate.handle(.localFailed("donor/desynced"), now: t(1)) == [.publish(passing: false, reason: "donor/desynced"), .steppedDown("donor/desynced")])
        #expect(gate.eligibleSince == nil)
        let claimingPeer = WriterHoldout.Round(writer: "ctl1", local: .passing(viewSize: 3), peers: [heard("ctl2", claims: true), heard("ctl3")])
        #expect(gate.handle(.round(claimingPeer), now: t(2)).first == .publish(passing: false, reason: "taking over as writer once ctl2 stepped down"))
        #expect(gate.eligibleSince == t(2))

        var drained = Self.settled()
        #expect(drained.handle(.drained, now: t(1)) == [.publish(passing: false, reason: WriterHoldout.drainedReason),
                                                        .steppedDown(WriterHoldout.drainedReason)])
        // Failing again does not report another step-down.
        #expect(drained.handle(.drained, now: t(2)) == [.publish(passing: false, reason: WriterHoldout.drainedReason)])
    }

    @Test("kill -9 of two peers: from the next round on, never 200, in any order of the peers' reports")
    func twoKilledAnyOrder() {
        // Each peer's report turns from Primary to down at some round; ctl1 keeps reading Primary (view 3)
        // until round 6, then non-Primary. From the round both are down, and whenever ctl1 is
        // non-Primary, the gate must refuse.
        for ctl2Down in 1...4 {
            for ctl3Down in 1...4 {
                var gate = Self.settled()
                for round in 1...8 {
                    let local: WriterHoldout.Local = round >= 6 ? .failing("non-Primary (cluster_status=non-Primary)") : .passing(viewSize: 3)
                    let peers = [heard("ctl2", primary: round < ctl2Down), heard("ctl3", primary: round < ctl3Down)]
                    let actions = gate.handle(.round(.init(writer: "ctl1", local: local, peers: peers)), now: t(Double(round)))
                    let passing = actions.first == .publish(passing: true, reason: "ok")
                    if round >= max(ctl2Down, ctl3Down) || round >= 6 {
                        #expect(!passing, "ctl2 down at \(ctl2Down), ctl3 at \(ctl3Down), round \(round)")
                    }
                }
            }
        }
    }
}
