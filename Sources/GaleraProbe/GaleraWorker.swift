import Dispatch
import Foundation
import Synchronization

/// One dedicated thread that owns one persistent session with the node and runs probes on it, one
/// at a time, in submission order.
///
/// Threading: the session exists only as a local of the worker's thread (libmariadb connections are
/// thread-confined); other threads talk to the worker through `mailbox` (a `Mutex`) and the `wakeup`
/// semaphore, and get results through the completion closures, which run on the worker's thread.
/// Blocking C calls therefore never touch Swift's cooperative pool.
///
/// Lifetime: ``retire()`` makes the thread close its session and exit once the probe in hand (if
/// any) returns; probes still queued are dropped (their callers have their own deadlines). A worker
/// stuck in a hung server is retired and left behind; it exits when libmariadb's own timeouts fire.
final class GaleraWorker: Sendable {
    typealias Opener = @Sendable () throws(GaleraError) -> any GaleraSession
    typealias Completion = @Sendable (Result<GaleraStatus, GaleraError>) -> Void

    private struct Mailbox {
        var jobs: [Completion] = []
        var retired = false
    }

    /// Distinguishes this worker from its predecessors (thread name `hactl-galera-N`).
    let generation: Int
    private let open: Opener
    private let onExit: @Sendable () -> Void
    private let mailbox = Mutex(Mailbox())
    private let wakeup = DispatchSemaphore(value: 0)

    /// Starts the thread at once; it sleeps until the first ``submit(_:)`` and connects then.
    /// `onExit` runs on the worker's thread as its last act, after the session is closed.
    init(generation: Int, open: @escaping Opener, onExit: @escaping @Sendable () -> Void) {
        self.generation = generation
        self.open = open
        self.onExit = onExit
        let thread = Thread { [self] in self.loop() }
        thread.name = "hactl-galera-\(generation)"
        // libmariadb's deepest path (connect + TLS-less auth) is far below this.
        thread.stackSize = 512 << 10
        thread.start()
    }

    /// Queues one probe; `completion` runs on the worker's thread when it has a result.
    /// Never blocks. A retired worker drops the probe.
    func submit(_ completion: @escaping Completion) {
        let accepted = mailbox.withLock { box in
            guard !box.retired else { return false }
            box.jobs.append(completion)
            return true
        }
        if accepted { wakeup.signal() }
    }

    /// Asks the thread to close its session and exit after the probe in hand. Never blocks; idempotent.
    func retire() {
        let first = mailbox.withLock { box in
            defer { box.retired = true }
            return !box.retired
        }
        if first { wakeup.signal() }
    }

    private func loop() {
        var session: (any GaleraSession)?
        while true {
            wakeup.wait()
            let job: Completion? = mailbox.withLock { box in
                guard !box.retired, !box.jobs.isEmpty else { return nil }
                return box.jobs.removeFirst()
            }
            guard let job else {
                if mailbox.withLock({ $0.retired }) { break }
                continue
            }
            job(Self.probe(&session, open: open, retired: { self.mailbox.withLock { $0.retired } }))
        }
        session = nil
        onExit()
    }

    /// One probe on the kept session, connecting first when there is none.
    ///
    /// A kept session that fails with a client error (the server restarted, or dropped an idle
    /// connection) gets one fresh connection within the same probe, so a restart does not show as a
    /// spurious failure, unless the worker was retired meanwhile (its caller gave up, and on a hung
    /// server a retry would only keep this thread longer). A server error (the server answered)
    /// keeps the session.
    private static func probe(_ session: inout (any GaleraSession)?, open: Opener,
                              retired: () -> Bool) -> Result<GaleraStatus, GaleraError> {
        let reused = session != nil
        do throws(GaleraError) {
            let current: any GaleraSession
            if let session { current = session } else { current = try open() }
            session = current
            return .success(try current.readStatus())
        } catch {
            if error.isClientError || error.stage != .query { session = nil }
            guard reused, error.stage == .query, error.isClientError, !retired() else { return .failure(error) }
        }
        do throws(GaleraError) {
            let fresh = try open()
            session = fresh
            return .success(try fresh.readStatus())
        } catch {
            if error.isClientError || error.stage != .query { session = nil }
            return .failure(error)
        }
    }
}
