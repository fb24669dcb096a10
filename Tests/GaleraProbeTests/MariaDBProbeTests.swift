import Foundation
import HACore
import HATestSupport
import Logging
import Testing
@testable import GaleraProbe
#if canImport(Glibc)
import Glibc
#endif

/// The probe against a real, standalone `mariadbd` started by the test (no Galera: the verdict is
/// `not a Galera node (wsrep_on=OFF)`), including a server hung with SIGSTOP.
@Suite("GaleraProbe against a real mariadbd", .serialized, .enabled(if: LocalMariaDB.usable, "needs root and mariadbd (starts a real server)"), .timeLimit(.minutes(5)))
struct MariaDBProbeTests {
    static let standaloneReason = "not a Galera node (wsrep_on=OFF)"

    static func config(_ server: LocalMariaDB, timeout: Duration = .seconds(1), socket: Bool = false) -> GaleraConfig {
        GaleraConfig(user: "hactl", passwordFile: server.passwordFile, port: server.port,
                     socket: socket ? server.socket : nil, interval: .seconds(1), timeout: timeout)
    }

    static func makeProbe(_ config: GaleraConfig, board: HealthBoard = HealthBoard()) -> GaleraMonitor {
        GaleraMonitor(config: config, address: IPAddress("127.0.0.1")!, board: board, clock: SystemClock(),
                    logger: Logger(label: "hactl.galera.test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// Probes until the server answers (it may still be running its init file), bounded.
    static func waitUntilAnswering(_ probe: GaleraMonitor) async -> CheckResult {
        var result = await probe.probe()
        for _ in 0..<100 where result.reason != standaloneReason {
            try? await Task.sleep(for: .milliseconds(100))
            result = await probe.probe()
        }
        return result
    }

    @Test("connects, reports, times out on SIGSTOP without blocking the caller, recovers on SIGCONT")
    func hungServer() async throws {
        let server = try await LocalMariaDB.start()
        defer { server.stop() }
        let clock = SystemClock()
        let probe = Self.makeProbe(Self.config(server, timeout: .seconds(1)))
        defer { probe.shutdown() }

        let first = await Self.waitUntilAnswering(probe)
        #expect(first.status == .critical)
        #expect(first.reason == Self.standaloneReason, "server log: \(server.log("error.log"))")
        let status = try #require(probe.snapshot.status)
        #expect(status.wsrepOn == false)
        #expect(status.provider == "none")
        #expect(status.clusterStatus == "Disconnected")
        #expect(status.readOnly == false)
        #expect(status.localState == nil)

        // One probe on the kept connection: two SHOW statements, measured.
        var durations: [Duration] = []
        for _ in 0..<101 {
            let start = clock.now
            let result = await probe.probe()
            durations.append(clock.now - start)
            #expect(result.reason == Self.standaloneReason)
        }
        durations.sort()
        let median = durations[durations.count / 2]
        print("galera probe against local mariadbd: median \(median), p99 \(durations[99]), max \(durations.last!)")
        // Printed, not asserted tightly: a busy 2-core box stretches it. The bound only tells a kept
        // connection apart from one that waits out the 1 s timeout.
        #expect(median < .milliseconds(500))

        // SIGSTOP: the kept connection's read hangs. The caller gets the timeout at the deadline.
        server.signal(SIGSTOP)
        var hungAt = clock.now
        let hung = await probe.probe()
        var waited = clock.now - hungAt
        print("probe against the stopped server returned after \(waited)")
        #expect(hung.status == .critical)
        #expect(hung.reason == "probe timeout after 1s")
        #expect(waited >= .milliseconds(990))
        #expect(waited <= .milliseconds(1200))
        #expect(probe.stuckWorkers == 1)

        // Again, now on a fresh connection whose handshake hangs: same bound.
        hungAt = clock.now
        let again = await probe.probe()
        waited = clock.now - hungAt
        #expect(again.reason == "probe timeout after 1s")
        #expect(waited <= .milliseconds(1200))

        // SIGCONT: the next probe answers; the abandoned threads close their connections and exit.
        server.signal(SIGCONT)
        let recovered = await probe.probe()
        #expect(recovered.reason == Self.standaloneReason)
        #expect(probe.snapshot.result == recovered)
        for _ in 0..<50 where probe.stuckWorkers > 0 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(probe.stuckWorkers == 0)
    }

    @Test("the loop publishes to the board; a stopped server turns the entry critical while reads stay instant")
    func loopAndBoard() async throws {
        let server = try await LocalMariaDB.start()
        defer { server.stop() }
        let clock = SystemClock()
        let board = HealthBoard()
        let config = Self.config(server, timeout: .seconds(1))
        let probe = Self.makeProbe(config, board: board)
        #expect(await Self.waitUntilAnswering(probe).reason == Self.standaloneReason)

        let running = Task { await probe.run() }
        defer { running.cancel() }
        let reason = { board.read(GaleraMonitor.checkName, now: clock.now)?.reason }
        for _ in 0..<50 where reason() != Self.standaloneReason { try await Task.sleep(for: .milliseconds(20)) }
        #expect(reason() == Self.standaloneReason)

        server.signal(SIGSTOP)
        let stoppedAt = clock.now
        var slowestRead = Duration.zero
        var turnedAfter: Duration?
        while clock.now - stoppedAt < .seconds(4) {
            let before = clock.now
            let current = reason()
            slowestRead = max(slowestRead, clock.now - before)
            if current == "probe timeout after 1s" {
                turnedAfter = clock.now - stoppedAt
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        print("board turned to the timeout \(turnedAfter.map { "\($0)" } ?? "never") after SIGSTOP; slowest read \(slowestRead)")
        let after = try #require(turnedAfter)
        // A hang is seen by the first probe that starts after it: within interval + timeout.
        #expect(after <= config.interval + config.timeout + .milliseconds(200))
        // A board read is a lock and a copy; the bound only leaves room for a loaded CI machine.
        #expect(slowestRead < .milliseconds(50))
        #expect(board.read(GaleraMonitor.checkName, now: clock.now)?.status == .critical)

        server.signal(SIGCONT)
        let resumedAt = clock.now
        while clock.now - resumedAt < .seconds(4), reason() != Self.standaloneReason {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(reason() == Self.standaloneReason)
        running.cancel()
        await running.value
    }

    @Test("socket, refused port, wrong password and a missing password file")
    func connectionVariants() async throws {
        let server = try await LocalMariaDB.start()
        defer { server.stop() }
        let viaSocket = Self.makeProbe(Self.config(server, socket: true))
        defer { viaSocket.shutdown() }
        #expect(await Self.waitUntilAnswering(viaSocket).reason == Self.standaloneReason)
        #expect(viaSocket.target.description == "hactl@\(server.socket)")

        var refused = Self.config(server)
        refused.port = 1
        let refusedProbe = Self.makeProbe(refused)
        defer { refusedProbe.shutdown() }
        // Connector/C reports the errno of its non-blocking connect (115, EINPROGRESS), not ECONNREFUSED.
        let refusedResult = await refusedProbe.probe()
        #expect(refusedResult.reason.hasPrefix("connect: Can't connect to server on '127.0.0.1' ("))
        #expect(refusedResult.reason.hasSuffix(") (errno 2002)"))

        let wrongFile = server.directory + "/wrong.pass"
        try "not-the-password\n".write(toFile: wrongFile, atomically: true, encoding: .utf8)
        chmod(wrongFile, 0o600)
        var wrong = Self.config(server)
        wrong.passwordFile = wrongFile
        let wrongProbe = Self.makeProbe(wrong)
        defer { wrongProbe.shutdown() }
        let denied = await wrongProbe.probe()
        #expect(denied.reason == "connect: Access denied for user 'hactl'@'127.0.0.1' (using password: YES) (errno 1045)")
        #expect(!denied.reason.contains("not-the-password"))

        var missing = Self.config(server)
        missing.passwordFile = server.directory + "/absent.pass"
        let missingProbe = Self.makeProbe(missing)
        defer { missingProbe.shutdown() }
        #expect(await missingProbe.probe().reason
            == "password: secret file \(server.directory)/absent.pass: No such file or directory")

        chmod(wrongFile, 0o644)
        #expect(await wrongProbe.probe().reason.hasPrefix("password: secret file \(wrongFile) has mode 0644"))
    }

    @Test("the probe keeps one connection: the server's connection count does not grow with probes")
    func oneConnection() async throws {
        let server = try await LocalMariaDB.start()
        defer { server.stop() }
        let probe = Self.makeProbe(Self.config(server))
        defer { probe.shutdown() }
        #expect(await Self.waitUntilAnswering(probe).reason == Self.standaloneReason)
        let target = GaleraTarget(config: Self.config(server), address: IPAddress("127.0.0.1")!)
        let before = try Self.serverCounter("Connections", target)
        for _ in 0..<20 { _ = await probe.probe() }
        let after = try Self.serverCounter("Connections", target)
        // Only the counter's own second connection.
        #expect(after - before == 1)
    }

    /// A global status counter, read on a connection of its own (off the cooperative pool is not a
    /// concern in a test: one short blocking call).
    static func serverCounter(_ name: String, _ target: GaleraTarget) throws -> Int {
        let connection = try MariaDBConnection(target: target)
        let rows = try connection.rows("SHOW GLOBAL STATUS LIKE '\(name)'")
        return Int(rows.first?.value ?? "") ?? -1
    }
}
