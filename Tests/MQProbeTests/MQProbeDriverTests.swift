import Foundation
import HACore
import HATestSupport
import Logging
import Testing
@testable import MQProbe
#if canImport(Glibc)
import Glibc
#endif

/// The driver tests' password file, for the exit handler (a C function pointer captures nothing).
nonisolated(unsafe) private var driverTestPasswordFile: String?

/// The probe's driver (worker threads, concurrent management calls, the outer deadline, early
/// decisions, reconnects, the loop and the board) against a scripted broker and management API and a
/// manual clock: no sleeping, no broker.
@Suite("MQProbe driver", .timeLimit(.minutes(1)))
struct MQProbeDriverTests {
    static let lost = MQError(stage: .roundTrip, message: "a socket error occurred", libraryStatus: -9, errno: 104)
    /// One file per test process (any user may run the unit tests; a fixed path left by root's run
    /// was unreadable to the next user's), removed when the process exits.
    static let passwordFile: String = {
        let path = NSTemporaryDirectory() + "hactl-mqprobe-driver-\(getuid())-\(getpid())-\(UUID().uuidString).pass"
        _ = FileManager.default.createFile(atPath: path, contents: Data("secret\n".utf8), attributes: [.posixPermissions: 0o600])
        chmod(path, 0o600)
        driverTestPasswordFile = path
        atexit { if let path = driverTestPasswordFile { unlink(path) } }
        return path
    }()

    struct Harness {
        let broker: FakeBroker
        let api = FakeManagement()
        let clock = ManualClock(now: MonotonicInstant(nanoseconds: 1_000_000_000_000))
        let board = HealthBoard()
        let probe: MQMonitor

        init(_ broker: FakeBroker, interval: Duration = .seconds(2), timeout: Duration = .seconds(2),
             managementPasswordFile: String? = nil) {
            self.broker = broker
            let config = RabbitMQConfig(amqp: AMQPSettings(user: "hactl", passwordFile: MQProbeDriverTests.passwordFile),
                                        management: ManagementSettings(passwordFile: managementPasswordFile),
                                        interval: interval, timeout: timeout)
            let address = IPAddress("198.18.0.11")!
            let management = MQManagement(config: config, controller: "ctl1", address: address, transport: api.transport)
            probe = MQMonitor(config: config, target: AMQPTarget(config: config, address: address), management: management,
                            board: board, clock: clock,
                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), open: broker.opener)
        }
    }

    @Test("one connection serves every probe; verdict, status and round trip land in the snapshot")
    func persistentConnection() async throws {
        let h = Harness(FakeBroker(.pass))
        for _ in 0..<3 {
            #expect(await h.probe.probe() == .passing(at: h.clock.now))
        }
        #expect(h.broker.opens == 1)
        #expect(h.broker.trips == 3)
        #expect(Set(h.broker.counts.value.ids).count == 3, "every probe message has its own id")
        let snapshot = h.probe.snapshot
        let status = try #require(snapshot.status)
        #expect(status.node == "rabbit@ctl1")
        #expect(status.running == true)
        #expect(status.roundTripMs == 0.25)
        #expect(status.confirmMs == 0.2)
        #expect(status.clusterNodes == [MQClusterNode(name: "rabbit@localhost", running: true)])
        #expect(snapshot.statusAt == h.clock.now)
        #expect(snapshot.duration == .zero)
        // Five management calls per probe, never the cluster-wide alarms check.
        let requests = h.api.state.value.requests
        #expect(requests.count == 15)
        #expect(!requests.contains { $0.hasPrefix("/api/health/checks/alarms") })
        h.probe.shutdown()
        await h.broker.until(closes: 1)
    }

    @Test("a hung broker: critical exactly at the deadline, the caller resumes, the next probe reconnects")
    func hungBroker() async {
        let h = Harness(FakeBroker(.stall, .pass))
        h.api.set(.hang)
        let start = h.clock.now
        let pending = Task { await h.probe.probe() }
        await h.broker.until(hung: 1)
        await h.api.until(parked: 5)
        await h.clock.waitForSleepers(1)
        h.clock.advance(by: .milliseconds(1999))
        #expect(h.probe.snapshot.result == nil, "nothing decided before the deadline")
        h.clock.advance(by: .milliseconds(1))
        let result = await pending.value
        #expect(result == .timeout(after: .seconds(2), at: start + .seconds(2)))
        #expect(result.timedOut)
        #expect(h.probe.stuckWorkers == 1)
        #expect(h.probe.snapshot.duration == .seconds(2))
        // The management calls were cancelled, not left running.
        await h.api.until(cancelled: 5)

        // The next probe does not wait for the stuck one: a new worker, a new connection.
        h.api.set(.answer)
        #expect(await h.probe.probe().status == .passing)
        #expect(h.broker.opens == 2)

        // When the hung round trip returns, its thread closes the abandoned connection and exits.
        #expect(await ProbeDriverScenarios.releaseStuckWorkers(h.probe, server: h.broker, count: 1))
        h.probe.shutdown()
        await h.broker.until(closes: 2)
    }

    @Test("only the round trip hangs: timeout at the deadline, naming what is missing")
    func roundTripHangs() async {
        let h = Harness(FakeBroker(.stall))
        let start = h.clock.now
        let pending = Task { await h.probe.probe() }
        await h.broker.until(hung: 1)
        await h.clock.waitForSleepers(1)
        h.clock.advance(by: .seconds(2))
        let result = await pending.value
        #expect(result == .timeout(after: .seconds(2), detail: " waiting for round trip", at: start + .seconds(2)))
        #expect(result.reason == "probe timeout after 2s waiting for round trip")
        #expect(h.probe.snapshot.status?.running == true, "the management side is in the status")
        h.broker.release()
        await h.broker.until(closes: 1)
    }

    @Test("a memory alarm decides at once: the blocked round trip is not waited for, nor abandoned")
    func memoryAlarmDecidesEarly() async {
        let h = Harness(FakeBroker(.stall, .pass))
        h.api.answer(MQManagement.localAlarmsPath, 503, CapturedPayloads.memoryAlarmLocalAlarms)
        h.api.answer("/api/nodes/rabbit%40ctl1", 200, CapturedPayloads.memoryAlarmNode)
        let pending = Task { await h.probe.probe() }
        await h.broker.until(hung: 1)
        let result = await pending.value
        #expect(result == .critical("memory alarm", at: h.clock.now))
        #expect(h.probe.snapshot.duration == .zero)
        #expect(h.probe.snapshot.status?.alarms == ["memory"])
        #expect(h.probe.stuckWorkers == 0)
        // The worker finishes its round trip and serves the next probe on the same connection.
        h.broker.release()
        h.api.set(.answer)
        h.api.answer(MQManagement.localAlarmsPath, 200, CapturedPayloads.healthyLocalAlarms)
        h.api.answer("/api/nodes/rabbit%40ctl1", 200, CapturedPayloads.healthyNode)
        #expect(await h.probe.probe().status == .passing)
        #expect(h.broker.opens == 1)
        h.probe.shutdown()
    }

    @Test("management failures: 401, refused, malformed; AMQP failures: 403, refused")
    func failures() async {
        let h = Harness(FakeBroker(.pass))
        h.api.answer("/api/nodes/rabbit%40ctl1", 401, CapturedPayloads.unauthorized)
        #expect(await h.probe.probe().reason == "management API: HTTP 401: Login failed")
        h.api.answer("/api/nodes/rabbit%40ctl1", 200, "<html>")
        #expect(await h.probe.probe().reason
            == "management API: unexpected answer from \(MQManagement(config: RabbitMQConfig(amqp: AMQPSettings(user: "u", passwordFile: "/p")), controller: "ctl1", address: IPAddress("198.18.0.11")!, transport: h.api.transport).nodePath): not JSON")
        h.api.set(.fail(.connect(curlCode: 7, message: "Couldn't connect to server")))
        #expect(await h.probe.probe().reason == "management API: HTTP connect failed: Couldn't connect to server (curl 7)")

        h.api.set(.answer)
        h.api.answer("/api/nodes/rabbit%40ctl1", 200, CapturedPayloads.healthyNode)
        h.probe.shutdown()
        await h.broker.until(closes: 1)
        h.broker.failConnects(MQError(stage: .login, message: "ACCESS_REFUSED - Login was refused", replyCode: 403))
        #expect(await h.probe.probe().reason == "login: ACCESS_REFUSED - Login was refused (reply 403)")
        h.broker.failConnects(MQError(stage: .connect, message: "a socket error occurred", libraryStatus: -9, errno: 111))
        #expect(await h.probe.probe().reason == "connect: a socket error occurred (status -9, errno 111 Connection refused)")
        h.broker.failConnects(nil)
        #expect(await h.probe.probe().status == .passing)
        h.probe.shutdown()
    }

    @Test("an unreadable management password file is reported without calling the API")
    func managementPassword() async {
        let h = Harness(FakeBroker(.pass), managementPasswordFile: "/nonexistent/mgmt.pass")
        let result = await h.probe.probe()
        #expect(result.reason == "management API: secret file /nonexistent/mgmt.pass: No such file or directory")
        #expect(h.api.state.value.requests.isEmpty)
        h.probe.shutdown()
    }

    @Test("a lost kept connection is replaced within the same probe; other errors wait for the next")
    func reconnect() async {
        let h = Harness(FakeBroker(.pass))
        _ = await h.probe.probe()
        h.broker.script(.fail(Self.lost), .pass)
        #expect(await h.probe.probe().status == .passing)
        #expect(h.broker.opens == 2)
        await h.broker.until(closes: 1)

        let returned = MQError(stage: .roundTrip, message: "message returned: NO_ROUTE", replyCode: 312)
        h.broker.script(.fail(returned), .pass)
        #expect(await h.probe.probe().reason == "round trip: message returned: NO_ROUTE (reply 312)")
        #expect(h.broker.opens == 2, "dropped, but not retried within the probe")
        #expect(await h.probe.probe().status == .passing)
        #expect(h.broker.opens == 3)
        h.probe.shutdown()
    }

    @Test("at most maxStuckWorkers hung threads; beyond that the round trip fails at once")
    func stuckCap() async {
        let h = Harness(FakeBroker(.stall))
        let max = MQMonitor.maxStuckWorkers
        let seen = await ProbeDriverScenarios.fillStuckWorkers(h.probe, server: h.broker, clock: h.clock, maxStuck: max,
                                                               timeout: .seconds(2))
        #expect(seen.timeoutReasons == Array(repeating: "probe timeout after 2s waiting for round trip", count: max))
        #expect(seen.stuck == max)
        #expect(seen.refused == .critical("round trip: 4 earlier round trips still stuck", at: seen.refusedAt ?? .zero))
        #expect(seen.opens == max)
        #expect(await ProbeDriverScenarios.releaseStuckWorkers(h.probe, server: h.broker, count: max))
        h.broker.script(.pass)
        #expect(await h.probe.probe().status == .passing)
        h.probe.shutdown()
    }

    @Test("cancelling a waiting caller returns at once and abandons the busy connection")
    func cancellation() async {
        let h = Harness(FakeBroker(.stall))
        let pending = Task { await h.probe.probe() }
        await h.broker.until(hung: 1)
        pending.cancel()
        #expect(await pending.value.reason == "probe cancelled")
        #expect(h.probe.snapshot.result == nil)
        #expect(h.probe.stuckWorkers == 1)
        h.broker.release()
        await h.broker.until(closes: 1)
    }

    @Test("the loop registers, publishes under rabbitmq once per interval, and re-probes a timeout at once")
    func loop() async {
        let h = Harness(FakeBroker(.pass), interval: .seconds(1), timeout: .milliseconds(500))
        let start = h.clock.now
        #expect(h.board.read("rabbitmq", now: start) == nil)
        let running = Task { await h.probe.run() }
        // First probe at once, then the loop sleeps until start + 1s.
        #expect(await h.clock.waitForDeadlines([start + .seconds(1)]))
        #expect(h.board.read("rabbitmq", now: h.clock.now)?.status == .passing)

        // The broker hangs: with interval > timeout the second probe still gets timeout / 2, so its
        // deadline is start + 1.25s.
        h.broker.script(.stall, .pass)
        h.api.set(.hang)
        h.clock.advance(by: .seconds(1))
        await h.broker.until(hung: 1)
        await h.api.until(parked: 5)
        #expect(await h.clock.waitForDeadlines([start + .milliseconds(1250)]))
        h.api.set(.answer)
        h.clock.advance(by: .milliseconds(250))
        // The loop publishes the timeout at once, then sleeps until start + 2s for the next probe.
        #expect(await h.clock.waitForDeadlines([start + .seconds(2)]))
        let entry = h.board.read("rabbitmq", now: h.clock.now)
        #expect(entry?.status == .critical)
        #expect(entry?.reason == "probe timeout after 500ms")
        #expect(entry?.last.at == start + .milliseconds(1250))

        // The next probe runs on a fresh connection.
        h.clock.advance(by: .milliseconds(750))
        #expect(await h.clock.waitForDeadlines([start + .seconds(3)]))
        #expect(h.board.read("rabbitmq", now: h.clock.now)?.status == .passing)
        #expect(h.broker.opens == 2)

        running.cancel()
        await running.value
        // The stop retires the current worker (its connection closes); the hung one follows on release.
        await h.broker.until(closes: 1)
        h.broker.release()
        await h.broker.until(closes: 2)
    }

    @Test("the board reads stale when the loop stops publishing")
    func staleAfterStop() async {
        let h = Harness(FakeBroker(.pass), interval: .seconds(2), timeout: .seconds(1))
        let start = h.clock.now
        let running = Task { await h.probe.run() }
        #expect(await h.clock.waitForDeadlines([start + .seconds(2)]))
        running.cancel()
        await running.value
        h.clock.advance(by: .milliseconds(6001))
        let entry = h.board.read("rabbitmq", now: h.clock.now)
        #expect(entry?.status == .critical)
        #expect(entry?.reason == HealthBoard.staleReason)
    }
}
