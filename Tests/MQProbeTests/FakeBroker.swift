import Dispatch
import HACore
import Synchronization
@testable import MQProbe

/// Resumes waiters when a condition over some state holds; the tests' only way to wait for a worker
/// thread or a task, so they never sleep.
final class Waiters<State: Sendable>: Sendable {
    private struct Entry {
        var condition: @Sendable (State) -> Bool
        var continuation: CheckedContinuation<Void, Never>
    }

    private let state: Mutex<(value: State, waiters: [Entry])>

    init(_ value: State) {
        state = Mutex((value, []))
    }

    var value: State { state.withLock { $0.value } }

    /// Applies `body` under the lock and resumes the waiters whose condition now holds.
    @discardableResult
    func change<T>(_ body: (inout State) -> T) -> T {
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

    func until(_ condition: @escaping @Sendable (State) -> Bool) async {
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

/// A scripted AMQP side for driving ``MQProbe`` with a ``ManualClock``: sessions open, pass, fail or
/// hang (blocking the worker thread, as a stopped broker does) exactly as the test says.
final class FakeBroker: Sendable {
    enum Behaviour: Sendable {
        case pass
        case fail(MQError)
        /// Block the worker thread until ``release()``, then pass.
        case hang
        /// Block the worker thread until ``release()``, then fail.
        case hangThenFail(MQError)
    }

    struct Counts: Sendable {
        var connectFailure: MQError?
        /// Consumed one per round trip; the last one repeats.
        var script: [Behaviour] = []
        var opens = 0
        var closes = 0
        var trips = 0
        var hung = 0
        var ids: [String] = []
    }

    let counts: Waiters<Counts>
    private let gate = DispatchSemaphore(value: 0)
    static let trip = MQRoundTrip(roundTrip: .microseconds(250), confirm: .microseconds(200))

    init(_ script: Behaviour...) {
        counts = Waiters(Counts(script: script))
    }

    var opens: Int { counts.value.opens }
    var closes: Int { counts.value.closes }
    var trips: Int { counts.value.trips }

    func script(_ behaviours: Behaviour...) { counts.change { $0.script = behaviours } }
    func failConnects(_ error: MQError?) { counts.change { $0.connectFailure = error } }
    /// Lets one hung round trip return.
    func release() { gate.signal() }

    func until(hung count: Int) async { await counts.until { $0.hung >= count } }
    func until(closes count: Int) async { await counts.until { $0.closes >= count } }

    var opener: MQWorker.Opener {
        { (_: ContinuousClock.Instant) throws(MQError) -> any MQSession in try self.open() }
    }

    private func open() throws(MQError) -> any MQSession {
        let failure = counts.change { state -> MQError? in
            if state.connectFailure == nil { state.opens += 1 }
            return state.connectFailure
        }
        if let failure { throw failure }
        return Session(broker: self)
    }

    fileprivate func roundTrip(id: String) throws(MQError) -> MQRoundTrip {
        let behaviour = counts.change { state -> Behaviour in
            state.trips += 1
            state.ids.append(id)
            let next = state.script.count > 1 ? state.script.removeFirst() : state.script[0]
            switch next {
            case .hang, .hangThenFail: state.hung += 1
            case .pass, .fail: break
            }
            return next
        }
        switch behaviour {
        case .pass: return Self.trip
        case .fail(let error): throw error
        case .hang:
            gate.wait()
            return Self.trip
        case .hangThenFail(let error):
            gate.wait()
            throw error
        }
    }

    fileprivate func closed() { counts.change { $0.closes += 1 } }
}

private final class Session: MQSession {
    let broker: FakeBroker
    init(broker: FakeBroker) { self.broker = broker }
    deinit { broker.closed() }
    func roundTrip(id: String, deadline: ContinuousClock.Instant) throws(MQError) -> MQRoundTrip {
        try broker.roundTrip(id: id)
    }
    func close() {}
}

/// A scripted management API: answers from captured payloads per path, or hangs until the caller's
/// task is cancelled (as curl on a stopped broker would, until its timeout).
final class FakeManagement: Sendable {
    enum Mode: Sendable {
        case answer
        case hang
        case fail(HTTPClientError)
    }

    struct State: Sendable {
        var mode: Mode = .answer
        /// Path prefix → (status, body); unknown paths answer 404.
        var answers: [String: (Int, String)] = FakeManagement.healthy
        var requests: [String] = []
        var parked = 0
        var cancelled = 0
    }

    static let healthy: [String: (Int, String)] = [
        "/api/nodes/rabbit%40ctl1": (200, CapturedPayloads.healthyNode),
        MQManagement.localAlarmsPath: (200, CapturedPayloads.healthyLocalAlarms),
        MQManagement.quorumCriticalPath: (200, CapturedPayloads.healthyQuorumCritical),
        MQManagement.mirrorSyncCriticalPath: (200, CapturedPayloads.healthyMirrorSyncCritical),
        MQManagement.clusterPath: (200, CapturedPayloads.healthyCluster),
    ]

    let state = Waiters(State())

    func set(_ mode: Mode) { state.change { $0.mode = mode } }
    func answer(_ path: String, _ status: Int, _ body: String) { state.change { $0.answers[path] = (status, body) } }
    func until(parked count: Int) async { await state.until { $0.parked >= count } }
    func until(cancelled count: Int) async { await state.until { $0.cancelled >= count } }

    var transport: MQManagement.Transport {
        { (request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse in
            try await self.execute(request)
        }
    }

    private func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let path = String(request.url.dropFirst("http://198.18.0.11:15672".count))
        let mode = state.change { state -> Mode in
            state.requests.append(path)
            return state.mode
        }
        switch mode {
        case .answer:
            let key = state.value.answers.keys.first { path.hasPrefix($0) }
            let (status, body) = key.flatMap { state.value.answers[$0] } ?? (404, "")
            return HTTPResponse(status: status, body: Array(body.utf8))
        case .fail(let error):
            throw error
        case .hang:
            await parkUntilCancelled()
            throw .cancelled
        }
    }

    private func parkUntilCancelled() async {
        let gate = Waiters(false)
        await withTaskCancellationHandler {
            state.change { $0.parked += 1 }
            await gate.until { $0 }
        } onCancel: {
            gate.change { $0 = true }
        }
        state.change { $0.cancelled += 1 }
    }
}
