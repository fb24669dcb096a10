import HACore
import Synchronization

/// The first of three to settle wins: the worker's result, a timer on the injected clock, or the
/// cancellation of the waiting task. Later settlements are ignored. One waiter.
///
/// This is what keeps a caller from ever waiting on a hung server: the worker thread may stay stuck,
/// but the waiting task resumes at the deadline.
final class ProbeRace<Value: Sendable>: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<Value, Never>)
        case settled(Value)
        case consumed
    }

    private let state = Mutex(State.pending)

    /// Offers a value; the first one offered wins. Callable from any thread.
    func settle(_ value: Value) {
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
    func run(until deadline: MonotonicInstant, on clock: any HAClock, timedOut: Value, cancelled: Value) async -> Value {
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
                    preconditionFailure("ProbeRace awaited twice")
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
