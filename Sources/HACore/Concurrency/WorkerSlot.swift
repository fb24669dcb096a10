import Synchronization

/// A worker that owns a thread and can be told to go (``MailboxThread``-based probe workers).
public protocol RetirableWorker: AnyObject, Sendable {
    /// Distinguishes it from its predecessors.
    var generation: Int { get }
    /// Asks it to finish and exit. Never blocks; idempotent.
    func retire()
}

/// The current worker of a probe, and the abandoned ones still stuck in a hung server.
///
/// A probe whose worker does not answer by the deadline abandons it (``abandon(_:)``): the worker
/// is retired and counted as stuck until its thread exits, and the next probe starts a new one. At
/// most `maxStuck` abandoned workers may be alive at once; beyond that ``current(make:)`` gives none
/// and the probe fails at once, so a server that hangs forever cannot eat threads. Thread-safe.
public final class WorkerSlot<Worker: RetirableWorker>: Sendable {
    private struct State {
        var worker: Worker?
        var generation = 0
        var stuck: Set<Int> = []
    }

    public let maxStuck: Int
    private let state = Mutex(State())

    public init(maxStuck: Int) {
        self.maxStuck = maxStuck
    }

    /// Abandoned workers whose thread has not exited yet.
    public var stuck: Int { state.withLock { $0.stuck.count } }

    /// The current worker, or a new one from `make(generation, onExit)` when there is none (the
    /// worker must call `onExit` when its thread ends); nil while `maxStuck` abandoned ones are alive.
    public func current(make: (_ generation: Int, _ onExit: @escaping @Sendable () -> Void) -> Worker)
        -> (worker: Worker?, created: Bool) {
        state.withLock { state in
            if let worker = state.worker { return (worker, false) }
            guard state.stuck.count < maxStuck else { return (nil, false) }
            state.generation += 1
            let generation = state.generation
            let worker = make(generation) { [weak self] in
                _ = self?.state.withLock { $0.stuck.remove(generation) }
            }
            state.worker = worker
            return (worker, true)
        }
    }

    /// Leaves a worker that did not answer in time: retired, counted as stuck until it exits.
    public func abandon(_ worker: Worker) {
        state.withLock { state in
            guard state.worker === worker else { return }
            state.worker = nil
            state.stuck.insert(worker.generation)
        }
        worker.retire()
    }

    /// Retires the current worker (it exits after the job in hand); the next ``current(make:)``
    /// starts a new one. Never blocks.
    public func retireCurrent() {
        let worker = state.withLock { state in
            defer { state.worker = nil }
            return state.worker
        }
        worker?.retire()
    }
}
