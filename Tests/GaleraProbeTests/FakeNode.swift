import Dispatch
import Synchronization
@testable import GaleraProbe
import HACore

/// A scripted node for driving ``GaleraProbe`` with a ``ManualClock``: sessions open, answer, fail or
/// hang (blocking the worker thread, as a stopped server does) exactly as the test says.
///
/// Thread-safe: all state is behind one `Mutex`; hung reads block on a semaphore outside it.
final class FakeNode: Sendable {
    enum Behaviour: Sendable {
        case answer(GaleraStatus)
        case fail(GaleraError)
        /// Block the worker thread until ``release()``, then answer.
        case hang(GaleraStatus)
        /// Block the worker thread until ``release()``, then fail (a read timeout, say).
        case hangThenFail(GaleraError)
    }

    private struct State {
        var connectFailure: GaleraError?
        /// Consumed one per read; the last one repeats.
        var script: [Behaviour] = []
        var opens = 0
        var closes = 0
        var reads = 0
        var hung = 0
        var waiters: [(condition: @Sendable (State) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())
    private let gate = DispatchSemaphore(value: 0)

    init(_ script: Behaviour...) {
        state.withLock { $0.script = script }
    }

    var opens: Int { state.withLock { $0.opens } }
    var closes: Int { state.withLock { $0.closes } }
    var reads: Int { state.withLock { $0.reads } }

    /// Replaces what the next reads do.
    func script(_ behaviours: Behaviour...) {
        state.withLock { $0.script = behaviours }
    }

    /// Makes every connect fail with `error` (nil: connects succeed).
    func failConnects(_ error: GaleraError?) {
        state.withLock { $0.connectFailure = error }
    }

    /// Lets one hung read return.
    func release() { gate.signal() }

    var opener: GaleraWorker.Opener {
        { () throws(GaleraError) -> any GaleraSession in
            try self.open()
        }
    }

    /// Resumes when `condition` holds (checked on every change); the test's only way to wait for a
    /// worker thread, so it never sleeps.
    func until(_ condition: @escaping @Sendable (Int, Int, Int, Int) -> Bool) async {
        let check: @Sendable (State) -> Bool = { condition($0.opens, $0.closes, $0.reads, $0.hung) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLock { state in
                if check(state) { return true }
                state.waiters.append((check, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }

    func until(hung count: Int) async { await until { _, _, _, hung in hung >= count } }
    func until(closes count: Int) async { await until { _, closes, _, _ in closes >= count } }

    private func open() throws(GaleraError) -> any GaleraSession {
        let failure = change { state in
            if state.connectFailure == nil { state.opens += 1 }
            return state.connectFailure
        }
        if let failure { throw failure }
        return Session(node: self)
    }

    fileprivate func read() throws(GaleraError) -> GaleraStatus {
        let behaviour = change { state -> Behaviour in
            state.reads += 1
            let next = state.script.count > 1 ? state.script.removeFirst() : state.script[0]
            switch next {
            case .hang, .hangThenFail: state.hung += 1
            case .answer, .fail: break
            }
            return next
        }
        switch behaviour {
        case .answer(let status): return status
        case .fail(let error): throw error
        case .hang(let status):
            gate.wait()
            return status
        case .hangThenFail(let error):
            gate.wait()
            throw error
        }
    }

    fileprivate func closed() {
        change { $0.closes += 1 }
    }

    /// Applies `body` under the lock and resumes the waiters whose condition now holds.
    @discardableResult
    private func change<T>(_ body: (inout State) -> T) -> T {
        let (value, ready) = state.withLock { state -> (T, [CheckedContinuation<Void, Never>]) in
            let value = body(&state)
            let waiters = state.waiters
            state.waiters = []
            var ready: [CheckedContinuation<Void, Never>] = []
            for waiter in waiters {
                if waiter.condition(state) { ready.append(waiter.continuation) } else { state.waiters.append(waiter) }
            }
            return (value, ready)
        }
        for continuation in ready { continuation.resume() }
        return value
    }
}

/// A session of a ``FakeNode``; closing it (releasing it) is counted.
private final class Session: GaleraSession {
    let node: FakeNode
    init(node: FakeNode) { self.node = node }
    deinit { node.closed() }
    func readStatus() throws(GaleraError) -> GaleraStatus { try node.read() }
}
