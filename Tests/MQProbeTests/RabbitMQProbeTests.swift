import Foundation
import HACore
import Logging
import Testing
@testable import MQProbe
#if canImport(Glibc)
import Glibc
#endif

/// The probe against one real RabbitMQ 3.10 broker started for the suite in its own network namespace
/// (``LocalRabbitMQ``): a healthy node, refused logins and connections, a memory alarm, a stopped
/// app, and a broker hung with SIGSTOP.
@Suite("MQProbe against a real rabbitmq-server", .serialized, .enabled(if: LocalRabbitMQ.usable, "needs root (network namespace) and rabbitmq-server installed"), .localRabbitMQ, .timeLimit(.minutes(5)))
struct RabbitMQProbeTests {
    static let quiet = Logger(label: "hactl.rabbitmq.test", factory: { _ in SwiftLogNoOpLogHandler() })

    let broker: LocalRabbitMQ
    let clock = SystemClock()

    init() throws {
        broker = try #require(LocalRabbitMQ.current)
    }

    func config(timeout: Duration = .seconds(1), port: Int = LocalRabbitMQ.amqpPort,
                passwordFile: String? = nil) -> RabbitMQConfig {
        RabbitMQConfig(amqp: AMQPSettings(port: port, user: LocalRabbitMQ.user, passwordFile: passwordFile ?? broker.passwordFile),
                       management: ManagementSettings(port: LocalRabbitMQ.managementPort),
                       nodeName: LocalRabbitMQ.nodeName, interval: .seconds(1), timeout: timeout)
    }

    func withProbe<T>(_ config: RabbitMQConfig, _ body: (MQMonitor) async throws -> T) async rethrows -> T {
        let http = HTTPClient(threads: 2, logger: Self.quiet)
        let probe = MQMonitor(config: config, controller: "localhost", address: IPAddress(LocalRabbitMQ.brokerAddress)!,
                            board: HealthBoard(), http: http, clock: clock, logger: Self.quiet)
        defer { probe.shutdown() }
        let value = try await body(probe)
        probe.shutdown()
        await http.shutdown()
        return value
    }

    /// Probes until `accept` holds (the broker may need a moment after a change), bounded.
    func probe(_ probe: MQMonitor, until accept: (CheckResult) -> Bool, attempts: Int = 150) async -> CheckResult {
        var result = await probe.probe()
        for _ in 0..<attempts where !accept(result) {
            try? await Task.sleep(for: .milliseconds(100))
            result = await probe.probe()
        }
        return result
    }

    @Test("a healthy node passes with a measured round trip; cost per probe")
    func healthy() async throws {
        try await withProbe(config()) { probe in
            // Right after boot the node's statistics are not collected yet (no fd or partition figures).
            let first = await self.probe(probe) { $0.status == .passing && probe.snapshot.status?.fdTotal != nil }
            #expect(first.status == .passing, "\(first) log: \(broker.log())")
            let status = try #require(probe.snapshot.status)
            #expect(status.node == LocalRabbitMQ.nodeName)
            #expect(status.running == true)
            #expect(status.partitions == [])
            #expect(status.alarms == [])
            #expect(status.localAlarms?.ok == true)
            #expect(status.quorumCritical?.ok == true)
            #expect(status.mirrorSyncCritical?.ok == true)
            #expect(status.clusterNodes == [MQClusterNode(name: LocalRabbitMQ.nodeName, running: true)])
            #expect((status.fdTotal ?? 0) > 0)
            #expect((status.roundTripMs ?? 0) > 0)
            #expect(status.roundTripError == nil && status.managementError == nil)

            // Cost: N probes on the kept connection; process CPU covers curl and JSON too.
            let count = 200
            var durations: [Duration] = []
            var trips: [Double] = []
            var workerCPU: Duration = .zero
            let cpuBefore = Self.processCPUTime()
            for _ in 0..<count {
                let start = clock.now
                let result = await probe.probe()
                durations.append(clock.now - start)
                #expect(result.status == .passing)
                trips.append(probe.snapshot.status?.roundTripMs ?? .nan)
                workerCPU += probe.snapshot.roundTripCPUTime ?? .zero
            }
            let processCPU = Self.processCPUTime() - cpuBefore
            durations.sort()
            trips.sort()
            print("""
                rabbitmq probe against local broker, \(count) probes: duration median \(durations[count / 2]), \
                p99 \(durations[count * 99 / 100]); round trip median \(trips[count / 2]) ms, p99 \(trips[count * 99 / 100]) ms; \
                CPU per probe: process \(processCPU / count), AMQP worker thread \(workerCPU / count)
                """)
            #expect(durations[count / 2] < .milliseconds(500), "a kept connection answers well within the probe timeout; the figure above is the measurement")
        }
    }

    @Test("a wrong password is refused with the broker's 403")
    func loginRefused() async throws {
        let wrong = broker.directory + "/wrong.pass"
        try "not-the-password\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        chmod(wrong, 0o600)
        await withProbe(config(passwordFile: wrong)) { probe in
            let result = await probe.probe()
            #expect(result.status == .critical)
            #expect(result.reason.hasPrefix("login: ACCESS_REFUSED"), "\(result)")
            #expect(result.reason.hasSuffix("(reply 403)"))
            #expect(probe.snapshot.status?.managementError == "HTTP 401: Login failed")
        }
    }

    @Test("a closed AMQP port is a refused connect with errno 111")
    func connectionRefused() async throws {
        await withProbe(config(port: 5999)) { probe in
            let result = await probe.probe()
            #expect(result.reason == "connect: a socket error occurred (status -9, errno 111 Connection refused)")
            // The management side still answered.
            #expect(probe.snapshot.status?.running == true)
        }
    }

    @Test("a memory alarm is critical at once, and clears")
    func memoryAlarm() async throws {
        try await withProbe(config(timeout: .seconds(2))) { probe in
            #expect(await self.probe(probe) { $0.status == .passing }.status == .passing)
            try broker.ctl("set_vm_memory_high_watermark", "0.0000001")
            defer { _ = try? broker.ctl("set_vm_memory_high_watermark", "0.4") }
            let alarming = clock.now
            let alarmed = await self.probe(probe) { $0.reason == "memory alarm" }
            print("memory alarm seen after \(clock.now - alarming)")
            #expect(alarmed == .critical("memory alarm", at: alarmed.at))
            let status = try #require(probe.snapshot.status)
            #expect(status.alarms == ["memory"])
            #expect(status.localAlarms?.alarms == ["memory"])
            // Decided by the management API: the blocked round trip is not waited for.
            let duration = try #require(probe.snapshot.duration)
            print("memory alarm probe: \(duration), round trip: \(status.roundTripError ?? "answered")")
            #expect(duration < .seconds(1))
            // The round trip itself: the broker blocks publishers while the alarm lasts.
            let blocked = Self.directRoundTrip(AMQPTarget(config: probe.config, address: IPAddress(LocalRabbitMQ.brokerAddress)!),
                                               budget: .milliseconds(500))
            print("round trip during the memory alarm: \(blocked)")
            #expect(blocked.stage == .roundTrip)

            try broker.ctl("set_vm_memory_high_watermark", "0.4")
            let clearing = clock.now
            let cleared = await self.probe(probe) { $0.status == .passing }
            print("memory alarm cleared after \(clock.now - clearing)")
            #expect(cleared.status == .passing, "\(cleared)")
        }
    }

    @Test("stop_app: critical with the refused connection; start_app: passing again")
    func stoppedApp() async throws {
        try await withProbe(config()) { probe in
            #expect(await self.probe(probe) { $0.status == .passing }.status == .passing)
            try broker.ctl("stop_app")
            var restarted = false
            defer { if !restarted { _ = try? broker.ctl("start_app") } }
            let stopped = await probe.probe()
            print("stop_app: \(stopped.reason); management: \(probe.snapshot.status?.managementError ?? "-")")
            #expect(stopped.status == .critical)
            #expect(stopped.reason == "connect: a socket error occurred (status -9, errno 111 Connection refused)")
            #expect(probe.snapshot.status?.managementError?.contains("Couldn't connect to server") == true)
            try broker.ctl("start_app")
            restarted = true
            let back = await self.probe(probe) { $0.status == .passing }
            #expect(back.status == .passing, "\(back)")
        }
    }

    @Test("SIGSTOP: probe timeout at the deadline without blocking the caller; SIGCONT: passing again")
    func hungBroker() async throws {
        await withProbe(config(timeout: .milliseconds(500))) { probe in
            #expect(await self.probe(probe) { $0.status == .passing }.status == .passing)
            broker.signal(SIGSTOP)
            var continued = false
            defer { if !continued { broker.signal(SIGCONT) } }
            for round in 0..<3 {
                let start = clock.now
                let hung = await probe.probe()
                let waited = clock.now - start
                print("probe \(round) against the stopped broker returned after \(waited): \(hung.reason)")
                // The round trip may still squeeze through while the signal reaches every beam
                // thread; then only the management API is waited for.
                #expect(hung.status == .critical)
                #expect(hung.reason == "probe timeout after 500ms" || hung.reason == "probe timeout after 500ms waiting for management API")
                #expect(waited >= .milliseconds(495))
                #expect(waited <= .milliseconds(700))
            }
            #expect(probe.stuckWorkers <= MQMonitor.maxStuckWorkers)
            broker.signal(SIGCONT)
            continued = true
            let back = await self.probe(probe) { $0.status == .passing }
            #expect(back.status == .passing, "\(back)")
            // The abandoned workers' waits were bounded by their deadlines: they are gone.
            for _ in 0..<50 where probe.stuckWorkers > 0 { try? await Task.sleep(for: .milliseconds(20)) }
            #expect(probe.stuckWorkers == 0)
        }
    }

    /// One connection and round trip on the calling thread (blocking, bounded by `budget`); the error.
    static func directRoundTrip(_ target: AMQPTarget, budget: Duration) -> MQError {
        do throws(MQError) {
            let connection = try AMQPConnection(target: target, deadline: .now + budget)
            let trip = try connection.roundTrip(id: "direct", deadline: .now + budget)
            return MQError(stage: .setup, message: "unexpectedly passed: \(trip)")
        } catch {
            return error
        }
    }

    static func processCPUTime() -> Duration {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return .microseconds(Int64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000
            + Int64(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec))
    }
}
