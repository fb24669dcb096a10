import Synchronization

/// The first of three to settle wins: a worker's result (`settle`, from any thread), a timer on the
/// injected clock, or the cancellation of the waiting task. Later settlements are ignored. One waiter.
///
/// This is what keeps a caller from ever waiting on a hung check or server: the worker may stay
/// stuck, but the waiting task resumes at the deadline. Used by `CheckRunner` and the probes.
public final class DeadlineRace<Value: Sendable>: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<Value, Never>)
        case settled(Value)
        case consumed
    }

    private let state = Mutex(State.pending)

    public init() {}

    /// Offers a value; the first one offered wins. Callable from any thread.
    public func settle(_ value: Value) {
        let waiter: CheckedContinuation<Value, Never>? = state.withLock { state in
            switch state {
            case .pending:
                state = .settled(value)
                return nil
            case .waiting(let continuation):
                state = .consumed
                return continuation
            case .settled, .consumed:
                return nil
            }
        }
        waiter?.resume(returning: value)
    }

    /// Waits for the first value; `timedOut` at `deadline` on `clock`, `cancelled` if the calling
    /// task is cancelled first.
    public func run(until deadline: MonotonicInstant, on clock: any HAClock, timedOut: Value, cancelled: Value) async -> Value {
        let timer = Task {
            do {
                try await clock.sleep(until: deadline, tolerance: nil)
                self.settle(timedOut)
            } catch {}
        }
        let value = await withTaskCancellationHandler {
            await self.value()
        } onCancel: {
            self.settle(cancelled)
        }
        timer.cancel()
        return value
    }

    private func value() async -> Value {
        await withCheckedContinuation { continuation in
            let ready: Value? = state.withLock { state in
                switch state {
                case .pending:
                    state = .waiting(continuation)
                    return nil
                case .settled(let value):
                    state = .consumed
                    return value
                case .waiting, .consumed:
                    preconditionFailure("DeadlineRace awaited twice")
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
