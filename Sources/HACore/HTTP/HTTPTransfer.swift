import Synchronization

/// One `execute` call: where the caller, the worker thread, the deadline timer and task
/// cancellation meet. Whichever of them finishes first decides the result; the others find the
/// transfer completed and do nothing. This is what lets the caller resume on time even while the
/// worker thread is still inside curl.
final class HTTPTransfer: Sendable {
    typealias Outcome = Result<HTTPResponse, HTTPClientError>

    /// Why the transfer was stopped from outside the worker. The first reason wins.
    enum AbortReason: UInt8 {
        case none = 0
        case cancelled
        case deadline
        case shutdown
    }

    let request: HTTPRequest
    /// End of the caller's budget: curl's own total timeout is set to what is left of it.
    let deadline: ContinuousClock.Instant

    private let abortState = Atomic<UInt8>(AbortReason.none.rawValue)
    private let state = Mutex(State())

    private struct State {
        var completed = false
        var outcome: Outcome?
        var continuation: CheckedContinuation<Outcome, Never>?
        var session: CurlSession?
        var timer: Task<Void, Never>?
    }

    init(request: HTTPRequest, deadline: ContinuousClock.Instant) {
        self.request = request
        self.deadline = deadline
    }

    /// Read without locking by curl's progress callback on the worker thread.
    var abortReason: AbortReason {
        AbortReason(rawValue: abortState.load(ordering: .acquiring)) ?? .none
    }

    /// Suspends until the transfer completes by any path.
    func outcome() async -> Outcome {
        await withCheckedContinuation { continuation in
            let ready: Outcome? = state.withLock { state in
                if let outcome = state.outcome { return outcome }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Starts the outer deadline. It fires `grace` after `deadline` so that curl's own timeout,
    /// which gives the more precise error, normally wins.
    func armDeadline(grace: Duration) {
        let timer = Task { [self] in
            do {
                try await Task.sleep(until: deadline + grace, clock: .continuous)
            } catch {
                return
            }
            abort(.deadline)
        }
        let alreadyDone = state.withLock { state in
            if state.completed { return true }
            state.timer = timer
            return false
        }
        if alreadyDone { timer.cancel() }
    }

    /// Completes the transfer unless it already is. Safe from any thread.
    func complete(_ outcome: Outcome) {
        let (continuation, timer): (CheckedContinuation<Outcome, Never>?, Task<Void, Never>?) =
            state.withLock { state in
                guard !state.completed else { return (nil, nil) }
                state.completed = true
                state.outcome = outcome
                defer { state.continuation = nil; state.timer = nil }
                return (state.continuation, state.timer)
            }
        timer?.cancel()
        continuation?.resume(returning: outcome)
    }

    /// Resumes the caller now with the error for `reason` and makes the worker leave curl at its
    /// next wake-up, which `wakeup()` brings forward.
    func abort(_ reason: AbortReason) {
        precondition(reason != .none)
        _ = abortState.compareExchange(
            expected: AbortReason.none.rawValue, desired: reason.rawValue, ordering: .acquiringAndReleasing)
        complete(.failure(Self.error(for: self.abortReason, request: request)))
        state.withLock { $0.session }?.wakeup()
    }

    /// Marks the curl session working on this transfer, so `abort` can wake it.
    func attach(_ session: CurlSession?) {
        state.withLock { $0.session = session }
    }

    static func error(for reason: AbortReason, request: HTTPRequest) -> HTTPClientError {
        switch reason {
        case .deadline: .timedOut(after: request.timeout)
        case .none, .cancelled, .shutdown: .cancelled
        }
    }
}
