import HACore
import Logging
import Synchronization
import Testing
@testable import ComputeHA

/// The driver against a simulated cloud, on a manual clock: write-ahead saves, a failed save, and a
/// driver killed mid-evacuation whose stored state another driver resumes.
@Suite("Recovery driver", .timeLimit(.minutes(1)))
struct RecoveryDriverTests {
    /// A cloud in memory: servers with a host and status; evacuations land at the next poll.
    final class SimCloud: RecoveryBackend {
        struct State {
            var servers: [String: ServerView] = [:]
            var evacuations: [String: Int] = [:]
            var forcedDown = false
            var disabled = false
            /// Saved state of each instance when its evacuation arrived (the write-ahead check).
            var progressAtSend: [String: InstanceProgress?] = [:]
            var holdPolls = false
        }

        let state = Mutex(State())
        let store: MemoryRecoveryStore

        init(store: MemoryRecoveryStore, servers: [ServerView]) {
            self.store = store
            state.withLock { s in for server in servers { s.servers[server.id] = server } }
        }

        var evacuations: [String: Int] { state.withLock { $0.evacuations } }

        func fence(attempt: Int) async -> FenceOutcome { .confirmedOff }
        func forceDown() async -> (ok: Bool, detail: String) { state.withLock { $0.forcedDown = true }; return (true, "") }
        func disable(reason: String) async -> (ok: Bool, detail: String) { state.withLock { $0.disabled = true }; return (true, "") }
        func listServers() async -> Result<[ServerView], RecoveryStateMachine.StepFailure> {
            .success(state.withLock { Array($0.servers.values).filter { $0.host == "compute1" }.sorted { $0.id < $1.id } })
        }
        func enableReservedHost(_ host: String) async -> (ok: Bool, detail: String) { (true, "") }
        func evacuate(_ id: String, target: String?) async -> EvacuateAnswer {
            let saved = store.history.last?.instances.first { $0.id == id }?.progress
            return state.withLock { s in
                s.progressAtSend[id] = saved
                guard s.forcedDown, var server = s.servers[id] else { return .notFound }
                s.evacuations[id, default: 0] += 1
                server.taskState = "rebuilding"
                s.servers[id] = server
                return .accepted
            }
        }
        func inspect(_ id: String, since: WallTime) async -> Result<(server: ServerView?, recorded: Bool), RecoveryStateMachine.StepFailure> {
            state.withLock { s in .success((s.servers[id], (s.evacuations[id] ?? 0) > 0)) }
        }
        func poll(_ ids: [String]) async -> Result<[ServerView], RecoveryStateMachine.StepFailure> {
            state.withLock { s in
                if s.holdPolls { return .failure(.init("503 nova-api busy")) }
                for id in ids where s.servers[id]?.taskState == "rebuilding" {
                    s.servers[id]?.taskState = nil
                    s.servers[id]?.host = "compute2"
                }
                return .success(ids.compactMap { s.servers[$0] })
            }
        }
        func start(_ id: String) async -> (ok: Bool, detail: String) { (true, "") }
    }

    /// A store that refuses writes from the n-th on.
    final class FailingStore: RecoveryStore {
        let inner = MemoryRecoveryStore()
        let failFrom: Int
        let count = Mutex(0)
        init(failFrom: Int) { self.failFrom = failFrom }
        struct Refused: Error {}
        func save(_ recovery: RecoveryStateMachine) async throws {
            let n = count.withLock { $0 += 1; return $0 }
            if n >= failFrom { throw Refused() }
            try await inner.save(recovery)
        }
    }

    static let servers = (0..<5).map { ServerView(id: "s\($0)", host: "compute1", status: "ACTIVE", metadata: ["HA_Enabled": "True"]) }
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func machine() -> RecoveryStateMachine {
        RecoveryStateMachine(id: "r1", host: "compute1", trigger: .manual, policy: RecoveryPolicy(concurrency: 2),
                             now: WallTime(secondsSinceEpoch: 1_800_000_000))
    }

    /// Runs `driver` while advancing both clocks a tick at a time, each time only once the driver
    /// has handled every answer (so the test does not depend on how the executor schedules), until it
    /// returns (bounded).
    static func drive(_ driver: RecoveryDriver, clock: ManualClock, wall: ManualWallClock, resume: Bool = false) async throws -> RecoveryStateMachine {
        let done = Mutex(false)
        let task = Task {
            defer { done.withLock { $0 = true } }
            return try await driver.run(resume: resume)
        }
        for _ in 0..<400 where !done.withLock({ $0 }) {
            await settle(driver, clock: clock, until: { done.withLock { $0 } })
            step(clock, wall)
        }
        return try await task.value
    }

    /// Waits (bounded by 10 s of real time) until the driver is quiescent and its ticker sleeps again.
    static func settle(_ driver: RecoveryDriver, clock: ManualClock, until stop: () -> Bool) async {
        let limit = ContinuousClock.now + .seconds(10)
        while !stop(), ContinuousClock.now < limit {
            if await driver.quiescent, clock.sleepers >= 1 { return }
            await Task.yield()
        }
    }

    static func step(_ clock: ManualClock, _ wall: ManualWallClock) {
        clock.advance(by: .milliseconds(250))
        wall.advance(by: .milliseconds(250))
    }

    @Test("every evacuation is on record as requested before it is sent; recovered with each instance evacuated once")
    func writeAhead() async throws {
        let store = MemoryRecoveryStore()
        let cloud = SimCloud(store: store, servers: Self.servers)
        let clock = ManualClock(), wall = ManualWallClock()
        let driver = RecoveryDriver(machine: Self.machine(), backend: cloud, store: store, wallClock: wall, clock: clock,
                                    logger: Self.logger)
        let result = try await Self.drive(driver, clock: clock, wall: wall)
        #expect(result.phase == .recovered)
        #expect(cloud.evacuations == ["s0": 1, "s1": 1, "s2": 1, "s3": 1, "s4": 1])
        #expect(cloud.state.withLock { $0.progressAtSend }.values.allSatisfy { $0 == .requested })
        #expect(store.history.last == result)
    }

    @Test("a refused save stops the driver before that state's actions: nothing is evacuated")
    func storeFailure() async throws {
        let store = FailingStore(failFrom: 4)   // start, fenced, forced down saved; the listing's state (with evacuations) refused
        let cloud = SimCloud(store: store.inner, servers: Self.servers)
        let clock = ManualClock(), wall = ManualWallClock()
        let driver = RecoveryDriver(machine: Self.machine(), backend: cloud, store: store, wallClock: wall, clock: clock,
                                    logger: Self.logger)
        await #expect(throws: RecoveryDriver.Stop.self) { _ = try await Self.drive(driver, clock: clock, wall: wall) }
        #expect(cloud.evacuations.isEmpty)
        #expect(store.inner.history.last?.phase == .isolating)
    }

    @Test("killed mid-evacuation, resumed from the stored state by another driver: recovered, no instance evacuated twice")
    func resumeAfterKill() async throws {
        let store = MemoryRecoveryStore()
        let cloud = SimCloud(store: store, servers: Self.servers)
        cloud.state.withLock { $0.holdPolls = true }
        let clock = ManualClock(), wall = ManualWallClock()
        let first = RecoveryDriver(machine: Self.machine(), backend: cloud, store: store, wallClock: wall, clock: clock,
                                   logger: Self.logger)
        let task = Task { try await first.run(resume: false) }
        for _ in 0..<100 where cloud.evacuations.count < 2 {
            await Self.settle(first, clock: clock, until: { cloud.evacuations.count >= 2 })
            Self.step(clock, wall)
        }
        task.cancel()
        _ = await task.result
        #expect(cloud.evacuations.count == 2, "two in flight (concurrency 2) when it died")
        let stored = try #require(store.history.last)
        #expect(stored.phase == .evacuating)

        cloud.state.withLock { $0.holdPolls = false }
        let clock2 = ManualClock()
        let second = RecoveryDriver(machine: stored, backend: cloud, store: store, wallClock: wall, clock: clock2,
                                    logger: Self.logger)
        let result = try await Self.drive(second, clock: clock2, wall: wall, resume: true)
        #expect(result.phase == .recovered)
        #expect(cloud.evacuations == ["s0": 1, "s1": 1, "s2": 1, "s3": 1, "s4": 1])
        #expect(result.timeline.contains { $0.step == .resumed })
    }
}
