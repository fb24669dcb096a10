import Dispatch
import HACore
import HATestSupport
import Synchronization
@testable import MQProbe

/// A scripted AMQP side for driving ``MQMonitor`` with a ``ManualClock``: HATestSupport's
/// ``ScriptedServer`` answering round trips, behind the probe's session protocol.
typealias FakeBroker = ScriptedServer<MQRoundTrip, MQError>

extension ScriptedServer where Answer == MQRoundTrip, Failure == MQError {
    static var trip: MQRoundTrip { MQRoundTrip(roundTrip: .microseconds(250), confirm: .microseconds(200)) }

    /// Round trips so far.
    var trips: Int { calls }

    var opener: MQWorker.Opener {
        { (_: ContinuousClock.Instant) throws(MQError) -> any MQSession in
            try self.opened()
            return FakeSession(broker: self)
        }
    }
}

extension ScriptedServer.Behaviour where Answer == MQRoundTrip {
    /// The round trip passes.
    static var pass: Self { .answer(FakeBroker.trip) }
    /// Block the worker thread until ``ScriptedServer/release()``, then pass.
    static var stall: Self { .hang(FakeBroker.trip) }
}

private final class FakeSession: MQSession {
    let broker: FakeBroker
    init(broker: FakeBroker) { self.broker = broker }
    deinit { broker.closed() }
    func roundTrip(id: String, deadline: ContinuousClock.Instant) throws(MQError) -> MQRoundTrip {
        try broker.call(id: id)
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
