import Foundation
import GaleraProbe
@testable import HAAgent
import HACore
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// The designated writer as one agent computes it from its own board and its peers' reports:
/// config order, hold-down before moving back, unreachable peers count as failing, and the endpoint
/// is 200 only on the writer whose own verdict passes. Manual clock, scripted peers, no network.
@Suite("Galera writer tracker")
struct GaleraWriterTests {
    static let controllers = [
        Controller(name: "ctl1", address: IPAddress("198.18.0.11")!),
        Controller(name: "ctl2", address: IPAddress("198.18.0.12")!),
        Controller(name: "ctl3", address: IPAddress("198.18.0.13")!),
    ]

    /// Peers' answers, changed by the test between rounds.
    final class Peers: Sendable {
        enum Answer: Sendable {
            case passing(forSeconds: Double)
            /// Failing; `primary`: its server still reads Primary (a Donor, read-only, ...).
            case failing(String, primary: Bool = false)
            /// A report with raw (untrusted) numbers.
            case raw(passingFor: Double?, age: Double?, statusAge: Double?)
            case unreachable
            /// The peer refuses our signature (a secret rotation half done).
            case unauthorized
            /// The answer fails its MAC.
            case unauthenticatedAnswer
            case drained(forSeconds: Double)
        }
        let answers = Mutex<[String: Answer]>([:])
        /// Peers whose own choice is themselves.
        let claiming = Mutex<Set<String>>([])
        func set(_ node: String, _ answer: Answer, claims: Bool = false) {
            answers.withLock { $0[node] = answer }
            claiming.withLock { if claims { $0.insert(node) } else { $0.remove(node) } }
        }

        static var primary: GaleraStatus {
            var status = GaleraStatus()
            status.clusterStatus = "Primary"
            status.clusterSize = 3
            return status
        }

        var fetch: GaleraWriterTracker.Fetch {
            { controller throws(AgentClientError) in
                let name = controller.name
                let claims = self.claiming.withLock { $0.contains(name) }
                switch self.answers.withLock({ $0[name] }) ?? .unreachable {
                case .passing(let seconds):
                    return GaleraReport(node: name, status: .passing, reason: "ok", passingForSeconds: seconds,
                                        ageSeconds: 0.1, wsrep: Self.primary, statusAgeSeconds: 0.1, writer: claims ? name : nil)
                case .drained(let seconds):
                    return GaleraReport(node: name, status: .passing, reason: "ok", passingForSeconds: seconds,
                                        ageSeconds: 0.1, wsrep: Self.primary, statusAgeSeconds: 0.1, writer: claims ? name : nil,
                                        drained: true)
                case .failing(let reason, let primary):
                    var down = GaleraStatus()
                    down.clusterStatus = "non-Primary"
                    return GaleraReport(node: name, status: .critical, reason: reason, passingForSeconds: nil,
                                        ageSeconds: 0.1, wsrep: primary ? Self.primary : down, statusAgeSeconds: 0.1, writer: nil)
                case .raw(let passingFor, let age, let statusAge):
                    return GaleraReport(node: name, status: .passing, reason: "ok", passingForSeconds: passingFor,
                                        ageSeconds: age, wsrep: Self.primary, statusAgeSeconds: statusAge, writer: claims ? name : nil)
                case .unreachable:
                    throw .badResponse(node: name, message: "unreachable (scripted)")
                case .unauthorized:
                    throw .unauthorized(node: name, reason: "bad signature")
                case .unauthenticatedAnswer:
                    throw .unauthenticatedAnswer(node: name, reason: "answer MAC mismatch")
                }
            }
        }
    }

    /// This node's drain flag and Galera view size (as its probe read it), changed by the test.
    final class LocalFlags: Sendable {
        let drained = Mutex(false)
        let viewSize = Mutex<Int?>(3)
    }

    struct Harness {
        let clock = ManualClock(now: MonotonicInstant(nanoseconds: 1_000_000_000_000))
        let board = HealthBoard()
        let peers = Peers()
        let flags = LocalFlags()
        let tracker: GaleraWriterTracker

        init(node: String, holdDown: Duration = .seconds(30)) {
            let config = GaleraConfig(user: "hactl", passwordFile: "/x", interval: .seconds(1), timeout: .seconds(2),
                                      writerHoldDown: holdDown)
            let flags = self.flags
            tracker = GaleraWriterTracker(node: node, controllers: GaleraWriterTests.controllers, config: config,
                                          board: board, clock: clock, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                          drained: { flags.drained.withLock { $0 } },
                                          localSnapshot: {
                                              var status = Peers.primary
                                              status.clusterSize = flags.viewSize.withLock { $0 }
                                              return GaleraMonitor.Snapshot(status: status)
                                          },
                                          fetch: peers.fetch)
        }

        /// This node's own probe result on the board.
        func local(_ passing: Bool, reason: String = "donor/desynced") {
            let result: CheckResult = passing ? .passing(at: clock.now) : .critical(reason, at: clock.now)
            board.publish(name: GaleraMonitor.checkName, status: result.status, last: result, interval: .seconds(1))
        }

        var endpoint: HealthBoard.Entry? { board.read(GaleraWriterTracker.checkName, now: clock.now) }
    }

    @Test("all passing: the first controller in config order writes, the others answer 503 naming it")
    func firstInOrder() async {
        let on1 = Harness(node: "ctl1")
        on1.local(true)
        on1.peers.set("ctl2", .passing(forSeconds: 100))
        on1.peers.set("ctl3", .passing(forSeconds: 100))
        on1.clock.advance(by: .seconds(100))
        on1.local(true)
        await on1.tracker.round()
        #expect(on1.tracker.writer == "ctl1")
        #expect(on1.endpoint?.status == .passing)

        let on2 = Harness(node: "ctl2")
        on2.local(true)
        on2.peers.set("ctl1", .passing(forSeconds: 0))
        on2.peers.set("ctl3", .passing(forSeconds: 0))
        await on2.tracker.round()
        #expect(on2.tracker.writer == "ctl1")
        #expect(on2.endpoint?.status == .critical)
        #expect(on2.endpoint?.reason == "not the designated writer (ctl1 is)")
    }

    @Test("the writer fails: the next proven node takes over at once; the recovered one waits out the hold-down")
    func failoverAndHoldDown() async {
        let h = Harness(node: "ctl2", holdDown: .seconds(30))
        h.local(true)
        h.clock.advance(by: .seconds(60))
        h.peers.set("ctl1", .passing(forSeconds: 60))
        h.peers.set("ctl3", .passing(forSeconds: 60))
        h.local(true)
        await h.tracker.round()
        #expect(h.tracker.writer == "ctl1")

        // ctl1's server hangs: its agent reports the timeout; ctl2 becomes the writer in one round.
        h.peers.set("ctl1", .failing("probe timeout after 2s"))
        h.clock.advance(by: .seconds(1))
        h.local(true)
        await h.tracker.round()
        #expect(h.tracker.writer == "ctl2")
        #expect(h.endpoint?.status == .passing)

        // ctl1 is back: it has passed for 1s, then 29s: still ctl2 (no flapping back).
        h.clock.advance(by: .seconds(1))
        h.peers.set("ctl1", .passing(forSeconds: 1))
        h.local(true)
        await h.tracker.round()
        #expect(h.tracker.writer == "ctl2")
        h.clock.advance(by: .seconds(28))
        h.peers.set("ctl1", .passing(forSeconds: 29))
        h.local(true)
        await h.tracker.round()
        #expect(h.tracker.writer == "ctl2")

        // After the hold-down the writer moves back to ctl1, and ctl2's endpoint turns 503.
        h.clock.advance(by: .seconds(2))
        h.peers.set("ctl1", .passing(forSeconds: 31))
        h.local(true)
        await h.tracker.round()
        #expect(h.tracker.writer == "ctl1")
        #expect(h.endpoint?.status == .critical)
    }

    @Test("no two writers: the new writer waits while the old one still claims the role, and not longer")
    func takeoverWaitsForTheOldWriter() async {
        let h = Harness(node: "ctl2", holdDown: .seconds(30))
        h.local(true)
        h.clock.advance(by: .seconds(60))
        h.local(true)
        h.peers.set("ctl1", .passing(forSeconds: 60), claims: true)
        h.peers.set("ctl3", .passing(forSeconds: 60))
        await h.tracker.round()
        #expect(h.tracker.writer == "ctl1")
        // ctl1 fails but its agent has not run a round yet: it still claims the writer.
        h.peers.set("ctl1", .failing("probe timeout after 2s"))
        h.clock.advance(by: .milliseconds(300))
        h.local(true)
        await h.tracker.round()
        #expect(h.tracker.writer == "ctl2")
        #expect(h.endpoint?.status == .passing, "a failing peer serves 503 already: no need to wait")
        // A peer that passes and still names itself (its round is behind ours) makes us wait.
        let g = Harness(node: "ctl2", holdDown: .seconds(0))
        g.local(true)
        g.peers.set("ctl1", .failing("non-Primary (cluster_status=non-Primary)"))
        g.peers.set("ctl3", .passing(forSeconds: 100), claims: true)
        await g.tracker.round()
        #expect(g.tracker.writer == "ctl2")
        #expect(g.endpoint?.reason == "taking over as writer once ctl3 stepped down")
        g.peers.set("ctl3", .passing(forSeconds: 100.5))
        g.clock.advance(by: .milliseconds(500))
        g.local(true)
        await g.tracker.round()
        #expect(g.endpoint?.status == .passing, "ctl3 stepped down: take over at once")
    }

    @Test("an unreachable peer counts as failing and unheard: with a majority heard the writer waits out the takeover delay")
    func unreachablePeers() async {
        let h = Harness(node: "ctl3")
        h.local(true)
        h.peers.set("ctl2", .failing("connect: Can't connect (errno 2002)"))
        h.clock.advance(by: .seconds(40))
        h.local(true)
        h.flags.viewSize.withLock { $0 = 1 }
        await h.tracker.round()
        #expect(h.tracker.writer == "ctl3")
        // The unheard ctl1 might still answer 200: ctl3 takes over only after the takeover delay.
        #expect(h.endpoint?.status == .critical)
        #expect(h.endpoint?.reason == "taking over as writer once ctl1 stepped down")
        h.clock.advance(by: h.tracker.takeoverDelay)
        h.local(true)
        await h.tracker.round()
        #expect(h.endpoint?.status == .passing)

        h.local(false, reason: "non-Primary (cluster_status=non-Primary)")
        h.clock.advance(by: .seconds(1))
        await h.tracker.round()
        #expect(h.tracker.writer == nil)
        #expect(h.endpoint?.reason == "non-Primary (cluster_status=non-Primary)")
    }

    @Test("secret rotation or API-only partition: peers unauthorized, unreachable or unauthenticated -> no side claims the writer")
    func noQuorumOfAgents() async {
        for failure in [Peers.Answer.unauthorized, .unreachable, .unauthenticatedAnswer] {
            // Galera is Primary with all three on every side; each agent hears only itself.
            for node in ["ctl1", "ctl2", "ctl3"] {
                let h = Harness(node: node)
                h.local(true)
                for other in GaleraWriterTests.controllers.map(\.name) where other != node { h.peers.set(other, failure) }
                for _ in 0..<5 {
                    h.clock.advance(by: .seconds(10))
                    h.local(true)
                    await h.tracker.round()
                    #expect(h.tracker.writer == node, "it ranks itself first, as it hears nobody")
                    #expect(h.endpoint?.status == .critical, "\(node), \(failure)")
                    #expect(h.endpoint?.reason == "no quorum of agents: heard 1 of 3 controllers, need 2")
                }
            }
        }
        // One peer heard again: a majority; the writer waits for the unheard one, then claims.
        let h = Harness(node: "ctl1")
        h.local(true)
        h.clock.advance(by: .seconds(100))
        h.local(true)
        h.peers.set("ctl2", .passing(forSeconds: 100))
        h.peers.set("ctl3", .unauthorized)
        await h.tracker.round()
        #expect(h.tracker.writer == "ctl1")
        #expect(h.endpoint?.reason == "taking over as writer once ctl3 stepped down")
        h.clock.advance(by: h.tracker.takeoverDelay)
        h.local(true)
        await h.tracker.round()
        #expect(h.endpoint?.status == .passing)
    }

    @Test("two killed: the survivor still reads Primary (view 3) but its peers' agents report their servers down -> never 200")
    func twoKilledSurvivorNotWriter() async {
        let h = Harness(node: "ctl1")
        h.local(true)
        h.peers.set("ctl2", .passing(forSeconds: 100))
        h.peers.set("ctl3", .passing(forSeconds: 100))
        h.clock.advance(by: .seconds(100))
        h.local(true)
        await h.tracker.round()
        #expect(h.endpoint?.status == .passing)
        // kill -9 of ctl2 then ctl3, seen in either order over the next rounds; ctl1 keeps reading Primary.
        h.peers.set("ctl2", .failing("connect: Lost connection (errno 2013)"))
        h.clock.advance(by: .seconds(1))
        h.local(true)
        await h.tracker.round()
        #expect(h.endpoint?.status == .passing, "one down, 2 of 3 still Primary")
        h.peers.set("ctl3", .failing("connect: Can't connect (errno 2002)"))
        for _ in 0..<6 {
            h.clock.advance(by: .seconds(1))
            h.local(true)
            await h.tracker.round()
            #expect(h.tracker.writer == "ctl1")
            #expect(h.endpoint?.status == .critical)
            #expect(h.endpoint?.reason == "Primary not confirmed: 1 of 3 nodes in the view report Primary, need 2")
        }
        // A peer's stale Primary reading (its server hung: the status predates its latest result) does not count.
        h.peers.set("ctl2", .raw(passingFor: nil, age: 0.1, statusAge: 2.5))
        h.clock.advance(by: .seconds(1))
        h.local(true)
        await h.tracker.round()
        #expect(h.endpoint?.status == .critical)
        // A Donor peer is still Primary: it confirms.
        h.peers.set("ctl2", .failing("donor/desynced", primary: true))
        h.clock.advance(by: .seconds(1))
        h.local(true)
        await h.tracker.round()
        #expect(h.endpoint?.status == .passing)
    }

    @Test("node drain moves the writer to the next eligible node; the drained node steps down at once; resume returns it")
    func drainMovesTheWriter() async {
        // On ctl1, the writer: drained -> 503 at once (between rounds too, see the ModuleHealth test), ctl2 chosen.
        let on1 = Harness(node: "ctl1")
        on1.local(true)
        on1.peers.set("ctl2", .passing(forSeconds: 100))
        on1.peers.set("ctl3", .passing(forSeconds: 100))
        on1.clock.advance(by: .seconds(100))
        on1.local(true)
        await on1.tracker.round()
        #expect(on1.endpoint?.status == .passing)
        on1.flags.drained.withLock { $0 = true }
        on1.clock.advance(by: .seconds(1))
        on1.local(true)
        await on1.tracker.round()
        #expect(on1.tracker.writer == "ctl2")
        #expect(on1.endpoint?.status == .critical)

        // On ctl2: ctl1's report says drained (and ctl1 no longer claims): ctl2 takes over in that round.
        let on2 = Harness(node: "ctl2")
        on2.local(true)
        on2.peers.set("ctl1", .passing(forSeconds: 100), claims: true)
        on2.peers.set("ctl3", .passing(forSeconds: 100))
        on2.clock.advance(by: .seconds(100))
        on2.local(true)
        await on2.tracker.round()
        #expect(on2.tracker.writer == "ctl1")
        #expect(on2.endpoint?.status == .critical)
        on2.peers.set("ctl1", .drained(forSeconds: 101), claims: true)
        on2.clock.advance(by: .seconds(1))
        on2.local(true)
        await on2.tracker.round()
        #expect(on2.tracker.writer == "ctl2", "drained ctl1 is ineligible")
        #expect(on2.endpoint?.reason == "taking over as writer once ctl1 stepped down", "ctl1 still named itself this round")
        on2.peers.set("ctl1", .drained(forSeconds: 102))
        on2.clock.advance(by: .seconds(1))
        on2.local(true)
        await on2.tracker.round()
        #expect(on2.endpoint?.status == .passing, "the writer backend is not left empty")
        // Every node drained: no writer at all.
        on2.flags.drained.withLock { $0 = true }
        on2.peers.set("ctl3", .drained(forSeconds: 103))
        on2.clock.advance(by: .seconds(1))
        on2.local(true)
        await on2.tracker.round()
        #expect(on2.tracker.writer == nil)
        #expect(on2.endpoint?.status == .critical)
        // ctl1 resumed: it has passed all along, so it is the writer again at once.
        on2.flags.drained.withLock { $0 = false }
        on2.peers.set("ctl1", .passing(forSeconds: 104))
        on2.clock.advance(by: .seconds(1))
        on2.local(true)
        await on2.tracker.round()
        #expect(on2.tracker.writer == "ctl1")
    }

    @Test("huge, negative or Int64-boundary passing_for_seconds from a peer never traps the round",
          arguments: [1e300, -1, Double(Int64.max), Double(Int64.max) / 1000, 9.3e15, .greatestFiniteMagnitude, .infinity, .nan, -.infinity])
    func hostileNumbers(_ value: Double) async {
        let h = Harness(node: "ctl2", holdDown: .seconds(30))
        h.local(true)
        h.peers.set("ctl1", .raw(passingFor: value, age: value, statusAge: value))
        h.peers.set("ctl3", .passing(forSeconds: 10))
        h.clock.advance(by: .seconds(10))
        h.local(true)
        await h.tracker.round()
        if value.isFinite && value >= 0 {
            #expect(h.tracker.writer == "ctl1", "clamped to a day: proven")
        } else {
            #expect(h.tracker.writer != "ctl1", "absent: not a candidate")
        }
    }

    @Test("a report naming another node is not heard from that controller")
    func misnamedReport() async {
        let h = Harness(node: "ctl1")
        h.local(true)
        let forged: GaleraWriterTracker.Fetch = { controller throws(AgentClientError) in
            GaleraReport(node: "ctl9", status: .passing, reason: "ok", passingForSeconds: 100, ageSeconds: 0.1,
                         wsrep: Peers.primary, statusAgeSeconds: 0.1, writer: nil)
        }
        h.tracker.attach(forged)
        await h.tracker.round()
        #expect(h.endpoint?.reason == "no quorum of agents: heard 1 of 3 controllers, need 2")
    }

    @Test("chosen but locally failing since the last round: the endpoint says the local reason, never 200")
    func localVerdictWins() async {
        let h = Harness(node: "ctl1")
        h.peers.set("ctl2", .passing(forSeconds: 0))
        h.peers.set("ctl3", .passing(forSeconds: 0))
        h.local(true)
        await h.tracker.round()
        #expect(h.endpoint?.status == .passing)
        h.local(false, reason: "rejecting queries")
        h.tracker.apply(.localFailed("rejecting queries"), now: h.clock.now)
        #expect(h.endpoint?.status == .critical)
        #expect(h.endpoint?.reason == "rejecting queries")
        // And the next round agrees, even though the peers still name ctl1.
        await h.tracker.round()
        #expect(h.endpoint?.reason == "rejecting queries")
    }

    @Test("between rounds the writer endpoint follows the node's own verdict at once")
    func endpointFollowsLocalVerdictBetweenRounds() async throws {
        let f = try Fixture(extra: "galera: { user: hactl, password_file: galera.pass, port: 1, interval: 1s, timeout: 1s }")
        defer { f.cleanup() }
        f.context.board.publish(name: "galera", status: .passing, last: .passing(at: f.clock.now), interval: .seconds(1))
        f.context.board.publish(name: GaleraWriterTracker.checkName, status: .passing, last: .passing(at: f.clock.now),
                                interval: .seconds(1))
        #expect(ModuleHealth.verdict(GaleraModule.writerKey, context: f.context) == (true, "ok"))
        // The node goes non-Primary; no tracker round has run since.
        f.context.board.publish(name: "galera", status: .critical, last: .critical("non-Primary (cluster_status=non-Primary)", at: f.clock.now),
                                interval: .seconds(1))
        #expect(ModuleHealth.verdict(GaleraModule.writerKey, context: f.context) == (false, "non-Primary (cluster_status=non-Primary)"))
        #expect(AgentCheckAnswer.answer("galera-writer", context: f.context).line == "down #non-Primary (cluster_status=non-Primary)")
    }

    @Test("a drained node's writer endpoint is 503 at once, before the next round")
    func drainedBetweenRounds() async throws {
        let f = try Fixture(extra: "galera: { user: hactl, password_file: galera.pass, port: 1, interval: 1s, timeout: 1s }")
        defer { f.cleanup() }
        f.context.board.publish(name: "galera", status: .passing, last: .passing(at: f.clock.now), interval: .seconds(1))
        f.context.board.publish(name: GaleraWriterTracker.checkName, status: .passing, last: .passing(at: f.clock.now),
                                interval: .seconds(1))
        #expect(ModuleHealth.verdict(GaleraModule.writerKey, context: f.context) == (true, "ok"))
        try f.context.nodeState.setDrained(true)
        #expect(ModuleHealth.verdict(GaleraModule.writerKey, context: f.context) == (false, WriterHoldout.drainedReason))
        #expect(AgentCheckAnswer.answer("galera-writer", context: f.context).line == "down #\(WriterHoldout.drainedReason)")
        // The peer report says so, for the other agents' choice.
        #expect(GaleraRoutes.localReport(f.context.galera!, f.context).drained == true)
        try f.context.nodeState.setDrained(false)
        #expect(ModuleHealth.verdict(GaleraModule.writerKey, context: f.context) == (true, "ok"))
    }

    @Test("the tracker's entry goes stale when rounds stop")
    func staleWhenStopped() async {
        let h = Harness(node: "ctl1")
        h.local(true)
        await h.tracker.round()
        h.clock.advance(by: .milliseconds(3001))
        #expect(h.endpoint?.status == .critical)
        #expect(h.endpoint?.reason == HealthBoard.staleReason)
    }

    @Test("GET /v1/galera and the signed peer call serve the local report; unsigned peer calls get 401")
    func routes() async throws {
        let f = try Fixture(extra: "galera: { user: hactl, password_file: galera.pass, port: 1, interval: 1s, timeout: 1s }")
        defer { f.cleanup() }
        f.context.board.publish(name: "galera", status: .passing, last: .passing(at: f.clock.now), interval: .seconds(1))
        f.clock.advance(by: .milliseconds(1500))
        f.context.board.publish(name: "galera", status: .passing, last: .passing(at: f.clock.now), interval: .seconds(1))
        let app = Agent(context: f.context).makeApplication()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/galera", method: .get) { r in
                #expect(r.status == .ok)
                let report = try JSONDecoder().decode(GaleraReport.self, from: Data(buffer: r.body))
                #expect(report.node == "ctl1")
                #expect(report.status == .passing)
                #expect(report.passingForSeconds == 1.5)
            }
            try await client.execute(uri: "/v1/galera/peer", method: .post) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/v1/galera/peer", method: .post,
                                     headers: [.authorization: f.signed("/v1/galera/peer")]) { r in
                #expect(r.status == .ok)
                let report = try JSONDecoder().decode(GaleraReport.self, from: Data(buffer: r.body))
                #expect(report.status == .passing)
            }
        }
    }
}
