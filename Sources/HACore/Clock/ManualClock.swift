import Synchronization

/// A clock that only moves when a test says so.
///
/// `sleep(until:)` parks the calling task until ``advance(by:)`` or ``advance(to:)`` moves `now` to or
/// past its deadline; a deadline at or before `now` returns at once. Advancing resumes every sleeper whose
/// deadline has passed, in deadline order (ties in arrival order); `now` is already the new time when
/// they run. Cancelling a sleeping task removes its sleeper and makes `sleep` throw `CancellationError`.
///
/// Thread-safe: all state is behind one `Mutex`; continuations are resumed outside it.
public final class ManualClock: HAClock {
    private struct Sleeper {
        let id: UInt64
        let deadline: MonotonicInstant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: MonotonicInstant
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// A clock whose `now` starts at `now` (the origin by default).
    public init(now: MonotonicInstant = .zero) {
        state = Mutex(State(now: now))
    }

    public var now: MonotonicInstant { state.withLock { $0.now } }

    public var minimumResolution: Duration { .nanoseconds(1) }

    /// How many tasks are parked in `sleep(until:)`.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    /// The deadlines of the parked sleepers, earliest first: lets a test wait for an exact set of timers.
    public var deadlines: [MonotonicInstant] {
        state.withLock { $0.sleepers.values.map(\.deadline) }.sorted()
    }

    public func sleep(until deadline: MonotonicInstant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state in
            state.nextID &+= 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Checking cancellation under the same lock as onCancel closes the race between the two:
                // either onCancel runs first (and isCancelled is already true here) or it finds the sleeper.
                let immediate: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(id: id, deadline: deadline, continuation: continuation)
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves `now` forward by `duration` and resumes every sleeper whose deadline is now due.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "ManualClock cannot go backwards")
        advance(to: now.advanced(by: duration))
    }

    /// Moves `now` to `instant` (never backwards) and resumes every sleeper whose deadline is now due.
    public func advance(to instant: MonotonicInstant) {
        let due: [Sleeper] = state.withLock { state in
            precondition(instant >= state.now, "ManualClock cannot go backwards")
            state.now = instant
            let due = state.sleepers.values
                .filter { $0.deadline <= instant }
                .sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
            for sleeper in due { state.sleepers[sleeper.id] = nil }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits until at least `count` tasks are parked in `sleep(until:)`.
    ///
    /// Bounded: yields, and gives up (returning `false`) after `maxYields` yields or `limit` of real
    /// time, whichever comes first, so a test that expects a sleeper that never comes fails within a
    /// stated bound instead of hanging. (Callers that pass a small `maxYields` to learn quickly that
    /// the task they watch has finished instead keep that behaviour.)
    @discardableResult
    public func waitForSleepers(_ count: Int, within limit: Duration = .seconds(10), maxYields: Int = 1_000_000) async -> Bool {
        await Self.waitUntil(within: limit, maxLooks: maxYields) { self.sleepers >= count }
    }

    /// Waits until the parked sleepers' deadlines are exactly `deadlines` (in order): how a test
    /// knows a loop is now waiting where it should. Bounded like ``waitForSleepers(_:within:maxYields:)``.
    @discardableResult
    public func waitForDeadlines(_ deadlines: [MonotonicInstant], within limit: Duration = .seconds(10),
                                 maxYields: Int = 1_000_000) async -> Bool {
        await Self.waitUntil(within: limit, maxLooks: maxYields) { self.deadlines == deadlines }
    }

    private static func waitUntil(within limit: Duration, maxLooks: Int, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        var looks = 0
        while !condition() {
            guard looks < maxLooks, ContinuousClock.now < deadline, !Task.isCancelled else { return condition() }
            looks += 1
            await Task.yield()
        }
        return true
    }
}
