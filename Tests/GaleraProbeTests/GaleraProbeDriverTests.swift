import HACore
import HATestSupport
import Logging
import Testing
@testable import GaleraProbe

/// The probe's driver (worker threads, outer deadline, reconnects, the loop and the board) against a
/// scripted node and a manual clock: no sleeping, no server.
@Suite("GaleraProbe driver")
struct GaleraProbeDriverTests {
    static let synced = CapturedRows.status(CapturedRows.synced)
    static let desynced = CapturedRows.status(CapturedRows.desynced)
    static let lost = GaleraError(stage: .query, code: 2013, message: "Lost connection to server during query")

    struct Harness {
        let node: FakeNode
        let clock = ManualClock(now: MonotonicInstant(nanoseconds: 1_000_000_000_000))
        let board = HealthBoard()
        let probe: GaleraMonitor

        init(_ node: FakeNode, interval: Duration = .seconds(1), timeout: Duration = .seconds(2)) {
            self.node = node
            let config = GaleraConfig(user: "hactl", passwordFile: "/nonexistent", interval: interval, timeout: timeout)
            let target = GaleraTarget(config: config, address: IPAddress("127.0.0.1")!)
            probe = GaleraMonitor(config: config, target: target, board: board, clock: clock,
                                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), open: node.opener)
        }
    }

    @Test("one connection serves every probe; the verdict and the status land in the snapshot")
    func persistentConnection() async {
        let h = Harness(FakeNode(.answer(Self.synced)))
        for _ in 0..<3 {
            let result = await h.probe.probe()
            #expect(result == .passing(at: h.clock.now))
        }
        #expect(h.node.opens == 1)
        #expect(h.node.reads == 3)
        let snapshot = h.probe.snapshot
        #expect(snapshot.status == Self.synced)
        #expect(snapshot.statusAt == h.clock.now)
        #expect(snapshot.duration == .zero)
        h.probe.shutdown()
        await h.node.until(closes: 1)
    }

    @Test("a hung server: critical at the deadline, the caller resumes, the next probe uses a new connection")
    func hungServer() async {
        let h = Harness(FakeNode(.hang(Self.synced), .answer(Self.desynced)))
        let start = h.clock.now
        let pending = Task { await h.probe.probe() }
        await h.node.until(hung: 1)
        await h.clock.waitForSleepers(1)
        h.clock.advance(by: .milliseconds(1999))
        h.clock.advance(by: .milliseconds(1))
        let result = await pending.value
        #expect(result == .timeout(after: .seconds(2), at: start + .seconds(2)))
        #expect(result.timedOut && result.reason == "probe timeout after 2s")
        #expect(h.probe.stuckWorkers == 1)
        #expect(h.probe.snapshot.result == result)
        #expect(h.probe.snapshot.duration == .seconds(2))

        // The next probe does not wait for the stuck one: a new worker, a new connection.
        let next = await h.probe.probe()
        #expect(next.reason == "donor/desynced")
        #expect(h.node.opens == 2)
        #expect(h.probe.snapshot.status == Self.desynced)

        // When the hung call returns, its thread closes the abandoned connection and exits.
        #expect(await ProbeDriverScenarios.releaseStuckWorkers(h.probe, server: h.node, count: 1))
        h.probe.shutdown()
        await h.node.until(closes: 2)
    }

    @Test("a lost kept connection is replaced within the same probe")
    func reconnectWithinProbe() async {
        let h = Harness(FakeNode(.answer(Self.synced)))
        _ = await h.probe.probe()
        h.node.script(.fail(Self.lost), .answer(Self.synced))
        let result = await h.probe.probe()
        #expect(result.status == .passing)
        #expect(h.node.opens == 2)
        await h.node.until(closes: 1)
        h.probe.shutdown()
    }

    @Test("an abandoned connection that finally fails is not retried: its thread just exits")
    func abandonedNotRetried() async {
        let h = Harness(FakeNode(.answer(Self.synced)))
        _ = await h.probe.probe()
        h.node.script(.hangThenFail(Self.lost), .answer(Self.synced))
        let pending = Task { await h.probe.probe() }
        await h.node.until(hung: 1)
        await h.clock.waitForSleepers(1)
        h.clock.advance(by: .seconds(2))
        #expect(await pending.value.reason == "probe timeout after 2s")
        #expect(await ProbeDriverScenarios.releaseStuckWorkers(h.probe, server: h.node, count: 1))
        #expect(h.node.opens == 1)
        #expect(await h.probe.probe().status == .passing)
        #expect(h.node.opens == 2)
        h.probe.shutdown()
    }

    @Test("a fresh connection that fails is reported, and the next probe connects again")
    func failureThenReconnect() async {
        let h = Harness(FakeNode(.fail(Self.lost), .answer(Self.synced)))
        let failed = await h.probe.probe()
        #expect(failed == .critical("query: Lost connection to server during query (errno 2013)", at: h.clock.now))
        #expect(h.node.opens == 1)
        let recovered = await h.probe.probe()
        #expect(recovered.status == .passing)
        #expect(h.node.opens == 2)
        h.probe.shutdown()
    }

    @Test("a server error on a query keeps the connection")
    func serverErrorKeepsConnection() async {
        let denied = GaleraError(stage: .query, code: 1227, sqlState: "42000", message: "Access denied")
        let h = Harness(FakeNode(.answer(Self.synced), .fail(denied), .answer(Self.synced)))
        _ = await h.probe.probe()
        let failed = await h.probe.probe()
        #expect(failed.reason == "query: Access denied (errno 1227)")
        _ = await h.probe.probe()
        #expect(h.node.opens == 1)
        h.probe.shutdown()
    }

    @Test("a refused connect is reported with the mysql error")
    func connectRefused() async {
        let node = FakeNode(.answer(Self.synced))
        node.failConnects(GaleraError(stage: .connect, code: 2002, message: "Can't connect to server on '127.0.0.1' (111)"))
        let h = Harness(node)
        let result = await h.probe.probe()
        #expect(result.reason == "connect: Can't connect to server on '127.0.0.1' (111) (errno 2002)")
        #expect(h.probe.snapshot.status == nil)
        node.failConnects(nil)
        #expect(await h.probe.probe().status == .passing)
        h.probe.shutdown()
    }

    @Test("at most maxStuckWorkers hung threads; beyond that probes fail at once without a new thread")
    func stuckCap() async {
        let h = Harness(FakeNode(.hang(Self.synced)))
        let max = GaleraMonitor.maxStuckWorkers
        let seen = await ProbeDriverScenarios.fillStuckWorkers(h.probe, server: h.node, clock: h.clock, maxStuck: max,
                                                               timeout: .seconds(2))
        #expect(seen.timeoutReasons == Array(repeating: "probe timeout after 2s", count: max))
        #expect(seen.stuck == max)
        #expect(seen.refused == CheckResult(status: .critical, reason: "probe timeout after 2s; 4 earlier probes still stuck",
                                           at: seen.refusedAt ?? .zero, timedOut: true))
        #expect(seen.opens == max)
        #expect(await ProbeDriverScenarios.releaseStuckWorkers(h.probe, server: h.node, count: max))
        h.node.script(.answer(Self.synced))
        #expect(await h.probe.probe().status == .passing)
        h.probe.shutdown()
    }

    @Test("cancelling a waiting caller returns at once and abandons the busy connection")
    func cancellation() async {
        let h = Harness(FakeNode(.hang(Self.synced)))
        let pending = Task { await h.probe.probe() }
        await h.node.until(hung: 1)
        pending.cancel()
        #expect(await pending.value.reason == "probe cancelled")
        #expect(h.probe.snapshot.result == nil)
        #expect(h.probe.stuckWorkers == 1)
        h.node.release()
        await h.node.until(closes: 1)
    }

    @Test("the loop publishes one result per interval to the board, and a timeout is re-probed at once")
    func loop() async {
        let h = Harness(FakeNode(.answer(Self.synced)), interval: .seconds(1), timeout: .milliseconds(500))
        let start = h.clock.now
        let running = Task { await h.probe.run() }
        // First probe at once, then the loop sleeps until start + 1s.
        #expect(await h.clock.waitForDeadlines([start + .seconds(1)]))
        #expect(h.board.read("galera", now: h.clock.now)?.status == .passing)
        #expect(h.node.reads == 1)

        // The server hangs: with interval > timeout the second probe still gets timeout / 2, so its
        // deadline is start + 1.25s.
        h.node.script(.hang(Self.synced), .answer(Self.desynced))
        h.clock.advance(by: .seconds(1))
        await h.node.until(hung: 1)
        #expect(await h.clock.waitForDeadlines([start + .milliseconds(1250)]))
        h.clock.advance(by: .milliseconds(250))
        // The loop publishes the timeout at once, then sleeps until start + 2s for the next probe.
        #expect(await h.clock.waitForDeadlines([start + .seconds(2)]))
        let entry = h.board.read("galera", now: h.clock.now)
        #expect(entry?.status == .critical)
        #expect(entry?.reason == "probe timeout after 500ms")
        #expect(entry?.last.at == start + .milliseconds(1250))

        // The next probe runs on a fresh connection.
        h.clock.advance(by: .milliseconds(750))
        #expect(await h.clock.waitForDeadlines([start + .seconds(3)]))
        #expect(h.board.read("galera", now: h.clock.now)?.reason == "donor/desynced")
        #expect(h.node.opens == 2)

        running.cancel()
        await running.value
        // The stop retires the current worker (its connection closes); the hung one follows on release.
        await h.node.until(closes: 1)
        h.node.release()
        await h.node.until(closes: 2)
    }

    @Test("a server that hangs just after answering is reported within timeout of its last answer, not interval + timeout")
    func hangReportedWithinTimeout() async {
        let h = Harness(FakeNode(.answer(Self.synced)), interval: .seconds(1), timeout: .seconds(2))
        let start = h.clock.now
        let running = Task { await h.probe.run() }
        #expect(await h.clock.waitForDeadlines([start + .seconds(1)]))
        // The server stops right after the first answer; the next probe starts at start + 1s and
        // races a deadline of start + 2s (2s after the last answer), not start + 3s.
        h.node.script(.hang(Self.synced))
        h.clock.advance(by: .seconds(1))
        await h.node.until(hung: 1)
        #expect(await h.clock.waitForDeadlines([start + .seconds(2)]))
        h.clock.advance(by: .seconds(1))
        // Reported at start + 2s; the loop re-probes at once on a new connection, which hangs too and
        // gets its timeout / 2 (deadline start + 3s).
        await h.node.until(hung: 2)
        #expect(await h.clock.waitForDeadlines([start + .seconds(3)]))
        let entry = h.board.read("galera", now: h.clock.now)
        #expect(entry?.status == .critical)
        #expect(entry?.reason == "probe timeout after 2s")
        #expect(entry?.last.at == start + .seconds(2))
        running.cancel()
        await running.value
        h.node.release()
        h.node.release()
        await h.node.until(closes: 2)
    }

    @Test("the board reads stale when the loop stops publishing")
    func staleAfterStop() async {
        let h = Harness(FakeNode(.answer(Self.synced)))
        let start = h.clock.now
        let running = Task { await h.probe.run() }
        #expect(await h.clock.waitForDeadlines([start + .seconds(1)]))
        running.cancel()
        await running.value
        h.clock.advance(by: .milliseconds(3001))
        let entry = h.board.read("galera", now: h.clock.now)
        #expect(entry?.status == .critical)
        #expect(entry?.reason == HealthBoard.staleReason)
    }
}
