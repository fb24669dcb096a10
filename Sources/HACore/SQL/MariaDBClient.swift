import Synchronization

/// An async handle on one MariaDB connection that lives on a dedicated thread: blocking libmariadb
/// calls never run on Swift's cooperative pool, and every call returns by its deadline whatever the
/// server does.
///
/// ```swift
/// let client = MariaDBClient(target: target, timeout: .seconds(2))
/// let rows = try await client.query("SELECT name, epoch FROM lease WHERE name = ?", ["compute"])
/// let epoch = try await client.transaction { db in
///     try db.execute("UPDATE lease SET epoch = epoch + 1 WHERE name = ?", "compute")
///     return try db.query("SELECT epoch FROM lease WHERE name = ?", "compute")[0].decode("epoch", as: UInt64.self)
/// }
/// ```
///
/// Threading: `Sendable`. Calls queue on the thread and run one at a time, in submission order, on
/// its one persistent connection (opened by the first call, reopened by the call after one that lost
/// it). A body runs on that thread: it must not await, and should do only database work.
///
/// Timeouts: libmariadb's connect/read/write timeouts are ``MariaDBTarget/librarySeconds``; outside
/// them each call races a deadline on the injected clock (`timeout` from the call, or the caller's).
/// At the deadline the call throws ``SQLError`` stage `.timeout` and the caller resumes at once; the
/// thread, stuck in the hung server, is retired (it closes its connection when libmariadb returns)
/// and the next call starts a new thread and connection. At most `maxStuck` abandoned threads may be
/// alive at once; beyond that a call fails at once instead of starting another one.
///
/// A call that times out may still complete on the server (a write may be applied): give writes a
/// fencing condition (`WHERE epoch = ?`) rather than retrying blindly.
public final class MariaDBClient: Sendable {
    public let target: MariaDBTarget
    /// Each call's deadline when the caller gives none.
    public let timeout: Duration
    private let clock: any HAClock
    private let open: @Sendable () throws(SQLError) -> MariaDBConnection
    private let threadName: String
    private let workers: WorkerSlot<SQLWorker>

    /// Nothing connects until the first call. `threadName` gets `-N` per thread (`hactl-sql-1`).
    public init(target: MariaDBTarget, timeout: Duration, clock: any HAClock = SystemClock(), maxStuck: Int = 4,
                threadName: String = "hactl-sql") {
        self.target = target
        self.timeout = timeout
        self.clock = clock
        self.threadName = threadName
        workers = WorkerSlot(maxStuck: maxStuck)
        open = { () throws(SQLError) in try MariaDBConnection(target: target) }
    }

    deinit {
        shutdown()
    }

    /// Abandoned threads still stuck in libmariadb (diagnostics and tests).
    public var stuckThreads: Int { workers.stuck }

    /// Retires the thread: it closes the connection and exits after the call in hand. Never blocks.
    /// A later call starts a new thread.
    public func shutdown() {
        workers.retireCurrent()
    }

    /// Runs `body` with the connection on the client's thread and returns its value, by `deadline`
    /// (default: `timeout` from now).
    ///
    /// Throws what `body` throws, ``SQLError`` (`.password`/`.connect` when no connection could be
    /// opened, `.timeout` at the deadline), or `CancellationError` when the calling task is cancelled
    /// (the thread is then abandoned like a timed-out one). A transaction `body` left open is rolled
    /// back; a client error (connection lost or timed out in the library) drops the connection.
    public func withConnection<T: Sendable>(deadline: MonotonicInstant? = nil,
                                            _ body: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        let deadline = deadline ?? clock.now + timeout
        let (worker, _) = workers.current { generation, onExit in
            SQLWorker(generation: generation, name: "\(threadName)-\(generation)", open: open, onExit: onExit)
        }
        guard let worker else {
            throw SQLError(stage: .timeout, message: "\(workers.stuck) earlier calls to \(target) still stuck")
        }
        let race = DeadlineRace<Ending<T>>()
        worker.submit { connection in
            race.settle(.finished(Result { try body(connection) }))
        } failed: { error in
            race.settle(.finished(.failure(error)))
        }
        switch await race.run(until: deadline, on: clock, timedOut: .timedOut, cancelled: .cancelled) {
        case .finished(let result):
            return try result.get()
        case .timedOut:
            workers.abandon(worker)
            throw SQLError(stage: .timeout, message: "\(target) did not answer within \(timeout)")
        case .cancelled:
            workers.abandon(worker)
            throw CancellationError()
        }
    }

    /// ``MariaDBConnection/query(_:_:)`` on the client's thread.
    public func query(_ sql: String, _ parameters: [SQLValue] = [], deadline: MonotonicInstant? = nil) async throws -> [SQLRow] {
        try await withConnection(deadline: deadline) { try $0.query(sql, parameters) }
    }

    /// ``MariaDBConnection/execute(_:_:)`` on the client's thread.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue] = [], deadline: MonotonicInstant? = nil) async throws -> SQLExecution {
        try await withConnection(deadline: deadline) { try $0.execute(sql, parameters) }
    }

    /// ``MariaDBConnection/transaction(_:)`` on the client's thread: committed when `body` returns,
    /// rolled back when it throws. At the deadline the caller gets `.timeout` while the transaction
    /// may still commit on the server: fence what it writes.
    public func transaction<T: Sendable>(deadline: MonotonicInstant? = nil,
                                         _ body: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        try await withConnection(deadline: deadline) { try $0.transaction(body) }
    }

    private enum Ending<T: Sendable>: Sendable {
        case finished(Result<T, any Error>)
        case timedOut
        case cancelled
    }
}

/// The client's thread: a ``MailboxThread`` that owns the connection.
private final class SQLWorker: RetirableWorker {
    typealias Opener = @Sendable () throws(SQLError) -> MariaDBConnection

    struct Job: Sendable {
        var body: @Sendable (MariaDBConnection) -> Void
        var failed: @Sendable (SQLError) -> Void
    }

    let generation: Int
    private let thread: MailboxThread<Job>

    init(generation: Int, name: String, open: @escaping Opener, onExit: @escaping @Sendable () -> Void) {
        self.generation = generation
        thread = MailboxThread(name: name, makeHandler: { Handler(open: open) }, onExit: onExit)
    }

    /// `body` runs with the connection, or `failed` with why there is none.
    func submit(_ body: @escaping @Sendable (MariaDBConnection) -> Void, failed: @escaping @Sendable (SQLError) -> Void) {
        thread.submit(Job(body: body, failed: failed))
    }

    func retire() { thread.retire() }

    private struct Handler: MailboxHandler {
        let open: Opener
        var connection: MariaDBConnection?

        init(open: @escaping Opener) { self.open = open }

        mutating func handle(_ job: Job, retired: () -> Bool) {
            let current: MariaDBConnection
            do throws(SQLError) {
                if let connection { current = connection } else { current = try open() }
            } catch {
                job.failed(error)
                return
            }
            connection = current
            job.body(current)
            if current.inTransaction { try? current.rollback() }
            if current.isBroken { connection = nil }
        }

        mutating func finish() { connection = nil }
    }
}
