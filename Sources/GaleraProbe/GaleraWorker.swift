import HACore

/// One dedicated thread (a ``MailboxThread``) that owns one persistent session with the node and
/// runs probes on it, one at a time, in submission order. The session exists only on that thread
/// (libmariadb connections are thread-confined); results come back through the completion closures,
/// which run there. Blocking C calls therefore never touch Swift's cooperative pool.
///
/// Lifetime: ``retire()`` makes the thread close its session and exit once the probe in hand (if
/// any) returns; probes still queued are dropped (their callers have their own deadlines). A worker
/// stuck in a hung server is retired and left behind; it exits when libmariadb's own timeouts fire.
/// Public only as the ``ProbeDriver`` base's type parameter: nothing outside the module can make or use one.
public final class GaleraWorker: RetirableWorker {
    typealias Opener = @Sendable () throws(GaleraError) -> any GaleraSession
    typealias Completion = @Sendable (Result<GaleraStatus, GaleraError>) -> Void

    /// Distinguishes this worker from its predecessors (thread name `hactl-galera-N`).
    public let generation: Int
    private let thread: MailboxThread<Completion>

    /// Starts the thread at once; it sleeps until the first ``submit(_:)`` and connects then.
    /// `onExit` runs on the worker's thread as its last act, after the session is closed.
    init(generation: Int, open: @escaping Opener, onExit: @escaping @Sendable () -> Void) {
        self.generation = generation
        // libmariadb's deepest path (connect + TLS-less auth) is far below the default stack.
        thread = MailboxThread(name: "hactl-galera-\(generation)", makeHandler: { Handler(open: open) }, onExit: onExit)
    }

    /// Queues one probe; `completion` runs on the worker's thread when it has a result.
    /// Never blocks. A retired worker drops the probe.
    func submit(_ completion: @escaping Completion) { thread.submit(completion) }

    /// Asks the thread to close its session and exit after the probe in hand. Never blocks; idempotent.
    public func retire() { thread.retire() }

    /// The worker thread's state: the one session, confined to that thread.
    private struct Handler: MailboxHandler {
        let open: Opener
        var session: (any GaleraSession)?

        init(open: @escaping Opener) { self.open = open }

        mutating func handle(_ job: Completion, retired: () -> Bool) {
            job(GaleraWorker.probe(&session, open: open, retired: retired))
        }

        mutating func finish() { session = nil }
    }

    /// One probe on the kept session, connecting first when there is none.
    ///
    /// A kept session that fails with a client error (the server restarted, or dropped an idle
    /// connection) gets one fresh connection within the same probe, so a restart does not show as a
    /// spurious failure, unless the worker was retired meanwhile (its caller gave up, and on a hung
    /// server a retry would only keep this thread longer). A server error (the server answered)
    /// keeps the session.
    fileprivate static func probe(_ session: inout (any GaleraSession)?, open: Opener,
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
