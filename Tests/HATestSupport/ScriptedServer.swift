import Dispatch
import Synchronization

/// Resumes waiters when a condition over some state holds; the tests' only way to wait for a worker
/// thread or a task, so they never sleep.
public final class Waiters<State: Sendable>: Sendable {
    private struct Entry {
        var condition: @Sendable (State) -> Bool
        var continuation: CheckedContinuation<Void, Never>
    }

    private let state: Mutex<(value: State, waiters: [Entry])>

    public init(_ value: State) {
        state = Mutex((value, []))
    }

    public var value: State { state.withLock { $0.value } }

    /// Applies `body` under the lock and resumes the waiters whose condition now holds.
    @discardableResult
    public func change<T>(_ body: (inout State) -> T) -> T {
        let (result, ready) = state.withLock { state -> (T, [CheckedContinuation<Void, Never>]) in
            let result = body(&state.value)
            var ready: [CheckedContinuation<Void, Never>] = []
            state.waiters.removeAll { entry in
                guard entry.condition(state.value) else { return false }
                ready.append(entry.continuation)
                return true
            }
            return (result, ready)
        }
        for continuation in ready { continuation.resume() }
        return result
    }

    /// Resumes when `condition` holds (checked now and on every change).
    public func until(_ condition: @escaping @Sendable (State) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if condition(state.value) { return true }
                state.waiters.append(Entry(condition: condition, continuation: continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }
}

/// A scripted server behind a probe's worker thread (a Galera node, a RabbitMQ broker), for driving
/// a probe with a ``ManualClock``: connects succeed or fail, and each call answers, fails or hangs
/// (blocking the worker thread, as a stopped server does) exactly as the test says. The module's
/// fake wraps it in its own session type (``opened()`` per connect, ``closed()`` when released).
///
/// Thread-safe: the counts are behind ``Waiters``; hung calls block on a semaphore outside it.
public final class ScriptedServer<Answer: Sendable, Failure: Error & Sendable>: Sendable {
    public enum Behaviour: Sendable {
        case answer(Answer)
        case fail(Failure)
        /// Block the worker thread until ``release()``, then answer.
        case hang(Answer)
        /// Block the worker thread until ``release()``, then fail (a read timeout, say).
        case hangThenFail(Failure)
    }

    public struct Counts: Sendable {
        public var connectFailure: Failure?
        /// Consumed one per call; the last one repeats.
        public var script: [Behaviour]
        public var opens = 0
        public var closes = 0
        public var calls = 0
        public var hung = 0
        /// The ids the calls carried (message ids), in order.
        public var ids: [String] = []
    }

    public let counts: Waiters<Counts>
    private let gate = DispatchSemaphore(value: 0)

    public init(_ script: Behaviour...) {
        counts = Waiters(Counts(script: script))
    }

    public var opens: Int { counts.value.opens }
    public var closes: Int { counts.value.closes }
    public var calls: Int { counts.value.calls }

    /// Replaces what the next calls do.
    public func script(_ behaviours: Behaviour...) { counts.change { $0.script = behaviours } }
    /// Makes every connect fail with `error` (nil: connects succeed).
    public func failConnects(_ error: Failure?) { counts.change { $0.connectFailure = error } }
    /// Lets one hung call return.
    public func release() { gate.signal() }

    public func until(hung count: Int) async { await counts.until { $0.hung >= count } }
    public func until(closes count: Int) async { await counts.until { $0.closes >= count } }

    /// One connect: counted, or the scripted connect failure.
    public func opened() throws(Failure) {
        let failure = counts.change { state -> Failure? in
            if state.connectFailure == nil { state.opens += 1 }
            return state.connectFailure
        }
        if let failure { throw failure }
    }

    /// One call on a session: the next scripted behaviour (hanging on the worker thread if it says so).
    public func call(id: String? = nil) throws(Failure) -> Answer {
        let behaviour = counts.change { state -> Behaviour in
            state.calls += 1
            if let id { state.ids.append(id) }
            let next = state.script.count > 1 ? state.script.removeFirst() : state.script[0]
            switch next {
            case .hang, .hangThenFail: state.hung += 1
            case .answer, .fail: break
            }
            return next
        }
        switch behaviour {
        case .answer(let answer): return answer
        case .fail(let error): throw error
        case .hang(let answer):
            gate.wait()
            return answer
        case .hangThenFail(let error):
            gate.wait()
            throw error
        }
    }

    /// A session was released.
    public func closed() { counts.change { $0.closes += 1 } }
}
