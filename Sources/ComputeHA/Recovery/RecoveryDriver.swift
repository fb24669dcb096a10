import HACore
import Logging
import Synchronization

/// The I/O a recovery needs, one method per ``RecoveryStateMachine/Action``: the fence agent and Nova
/// in production (``OpenStackBackend``), a simulated cloud in unit tests. Methods never throw: every
/// failure is an answer the workflow decides on.
public protocol RecoveryBackend: Sendable {
    func fence(attempt: Int) async -> FenceOutcome
    func forceDown() async -> (ok: Bool, detail: String)
    func disable(reason: String) async -> (ok: Bool, detail: String)
    func listServers() async -> Result<[ServerView], RecoveryStateMachine.StepFailure>
    func enableReservedHost(_ host: String) async -> (ok: Bool, detail: String)
    func evacuate(_ id: String, target: String?) async -> EvacuateAnswer
    /// The server now (nil: deleted) and whether Nova recorded an evacuation of it since `since`.
    func inspect(_ id: String, since: WallTime) async -> Result<(server: ServerView?, recorded: Bool), RecoveryStateMachine.StepFailure>
    func poll(_ ids: [String]) async -> Result<[ServerView], RecoveryStateMachine.StepFailure>
    func start(_ id: String) async -> (ok: Bool, detail: String)
}

/// Where a recovery is written before each of its actions runs (the write-ahead rule of
/// ``RecoveryStateMachine``). Galera in the agent; memory in tests.
public protocol RecoveryStore: Sendable {
    func save(_ recovery: RecoveryStateMachine) async throws
}

/// Runs one recovery to a final phase: feeds events to the state machine, saves every new state
/// before it runs that state's actions, runs the actions concurrently, and ticks on the injected
/// monotonic clock. Holds no policy. If a save fails, it stops at once without running the actions
/// of the unsaved state: the stored recovery is resumed later, by this controller or another.
public actor RecoveryDriver {
    public enum Stop: Error, Sendable, Equatable {
        /// The store refused a write; nothing of the unsaved state was done.
        case storeFailed(String)
        /// The caller cancelled (the agent stops, the lease was lost).
        case cancelled
    }

    public private(set) var machine: RecoveryStateMachine
    private let backend: any RecoveryBackend
    private let store: any RecoveryStore
    private let wallClock: any WallClock
    private let clock: any HAClock
    private let tickInterval: Duration
    private let logger: Logger
    private let observe: @Sendable (RecoveryStateMachine, [RecoveryStateMachine.Action]) -> Void
    /// Events owed to the loop and not yet fully handled (saved, their actions started): the first
    /// `start`/`resume`, then one per started action.
    private var inFlight = 1

    /// No action is running and every answer has been handled: only time (a tick) can move the
    /// recovery on. Tests advance their clocks only then.
    public var quiescent: Bool { inFlight == 0 }

    public init(machine: RecoveryStateMachine, backend: any RecoveryBackend, store: any RecoveryStore, wallClock: any WallClock,
                clock: any HAClock, tickInterval: Duration = .milliseconds(250), logger: Logger,
                observe: @escaping @Sendable (RecoveryStateMachine, [RecoveryStateMachine.Action]) -> Void = { _, _ in }) {
        self.machine = machine
        self.backend = backend
        self.store = store
        self.wallClock = wallClock
        self.clock = clock
        self.tickInterval = tickInterval
        self.logger = logger
        self.observe = observe
    }

    /// Starts (`resume: false`) or resumes the recovery and returns its final state.
    public func run(resume: Bool) async throws(Stop) -> RecoveryStateMachine {
        let (events, sink) = AsyncStream<RecoveryStateMachine.Event>.makeStream()
        let ticker = Task { [clock, tickInterval] in
            while !Task.isCancelled {
                do { try await clock.sleep(for: tickInterval) } catch { return }
                sink.yield(.tick)
            }
        }
        var running: [Task<Void, Never>] = []
        defer {
            ticker.cancel()
            running.forEach { $0.cancel() }
            sink.finish()
        }
        sink.yield(resume ? .resume : .start)
        for await event in events {
            if Task.isCancelled { throw .cancelled }
            let owed: Bool = if case .tick = event { false } else { true }
            let actions = machine.handle(event, now: wallClock.now)
            if actions.isEmpty, !owed { continue }
            do { try await store.save(machine) } catch {
                if error is CancellationError || Task.isCancelled { throw .cancelled }
                logger.error("recovery state not saved; stopping before its actions",
                             metadata: ["compute.host": .string(machine.host), "compute.recovery": .string(machine.id),
                                        "error": .string("\(error)")])
                throw .storeFailed("\(error)")
            }
            observe(machine, actions)
            running.removeAll { $0.isCancelled }
            for action in actions {
                if let task = execute(action, into: sink) {
                    running.append(task)
                    inFlight += 1
                }
            }
            if owed { inFlight -= 1 }
            if machine.phase.isFinal { return machine }
        }
        throw .cancelled
    }

    private func execute(_ action: RecoveryStateMachine.Action,
                         into sink: AsyncStream<RecoveryStateMachine.Event>.Continuation) -> Task<Void, Never>? {
        let backend = backend
        let since = machine.startedAt
        switch action {
        case .alert(let text):
            logger.error("\(text)", metadata: ["compute.host": .string(machine.host), "compute.recovery": .string(machine.id)])
            return nil
        case .finished(let phase):
            logger.notice("recovery finished", metadata: ["compute.host": .string(machine.host), "compute.recovery": .string(machine.id),
                                                          "compute.phase": .string(phase.rawValue)])
            return nil
        case .fence(let attempt):
            return Task { sink.yield(.fenceFinished(await backend.fence(attempt: attempt))) }
        case .forceDown:
            return Task { let r = await backend.forceDown(); sink.yield(.forceDownFinished(ok: r.ok, detail: r.detail)) }
        case .disable(let reason):
            return Task { let r = await backend.disable(reason: reason); sink.yield(.disableFinished(ok: r.ok, detail: r.detail)) }
        case .listServers:
            return Task { sink.yield(.listed(await backend.listServers())) }
        case .enableReservedHost(let host):
            return Task {
                let r = await backend.enableReservedHost(host)
                sink.yield(.reservedHostEnabled(host: host, ok: r.ok, detail: r.detail))
            }
        case .evacuate(let id, let target):
            return Task { sink.yield(.evacuateAnswered(id: id, await backend.evacuate(id, target: target))) }
        case .inspect(let id):
            return Task {
                switch await backend.inspect(id, since: since) {
                case .success(let seen): sink.yield(.inspected(id: id, server: seen.server, evacuationRecorded: seen.recorded))
                case .failure(let failure): sink.yield(.inspectFailed(id: id, detail: failure.message))
                }
            }
        case .poll(let ids):
            return Task { sink.yield(.polled(await backend.poll(ids))) }
        case .startServer(let id):
            return Task { let r = await backend.start(id); sink.yield(.startAnswered(id: id, ok: r.ok, detail: r.detail)) }
        }
    }
}

/// A store that keeps every saved state in memory (tests, and `hactl` runs without Galera).
public final class MemoryRecoveryStore: RecoveryStore, Sendable {
    private let saved = Mutex<[RecoveryStateMachine]>([])

    public init() {}

    public func save(_ recovery: RecoveryStateMachine) async throws {
        saved.withLock { $0.append(recovery) }
    }

    /// Every state saved, oldest first.
    public var history: [RecoveryStateMachine] { saved.withLock { $0 } }
}
