import Glibc
import HACore

/// One dedicated thread that owns one persistent AMQP session and runs round trips on it, one at a
/// time, in submission order.
///
/// Threading: a ``MailboxThread``; the session exists only on that thread (librabbitmq connections
/// are thread-confined), and results come back through the completion closures, which run there.
/// Blocking C calls therefore never touch Swift's cooperative pool.
///
/// Lifetime: ``retire()`` makes the thread close its session and exit once the round trip in hand
/// (if any) returns; jobs still queued are dropped (their callers have their own deadlines). A worker
/// stuck on a hung broker is retired and left behind; it exits when its own deadline-bounded waits
/// give up.
/// Public only as the ``ProbeDriver`` base's type parameter: nothing outside the module can make or use one.
public final class MQWorker: RetirableWorker {
    /// Opens a session, bounded by the deadline.
    typealias Opener = @Sendable (ContinuousClock.Instant) throws(MQError) -> any MQSession
    typealias Completion = @Sendable (Result<MQRoundTrip, MQError>) -> Void

    struct Job: Sendable {
        var id: String
        var deadline: ContinuousClock.Instant
        var completion: Completion
    }

    /// Distinguishes this worker from its predecessors (thread name `hactl-rabbitmq-N`).
    public let generation: Int
    private let thread: MailboxThread<Job>

    /// Starts the thread at once; it sleeps until the first ``submit(_:)`` and connects then.
    /// `onExit` runs on the worker's thread as its last act, after the session is closed.
    init(generation: Int, open: @escaping Opener, onExit: @escaping @Sendable () -> Void) {
        self.generation = generation
        thread = MailboxThread(name: "hactl-rabbitmq-\(generation)", makeHandler: { Handler(open: open) }, onExit: onExit)
    }

    /// Queues one round trip; `job.completion` runs on the worker's thread. Never blocks. A retired
    /// worker drops the job.
    func submit(_ job: Job) { thread.submit(job) }

    /// Asks the thread to close its session and exit after the job in hand. Never blocks; idempotent.
    public func retire() { thread.retire() }

    /// The worker thread's state: the one session, confined to that thread.
    private struct Handler: MailboxHandler {
        let open: Opener
        var session: (any MQSession)?

        init(open: @escaping Opener) { self.open = open }

        mutating func handle(_ job: Job, retired: () -> Bool) {
            let cpuBefore = MQWorker.threadCPUTime()
            var result = MQWorker.run(job, on: &session, open: open, retired: retired)
            if case .success(var trip) = result, let before = cpuBefore, let after = MQWorker.threadCPUTime() {
                trip.cpuTime = after - before
                result = .success(trip)
            }
            job.completion(result)
        }

        mutating func finish() {
            session?.close()
            session = nil
        }
    }

    /// One round trip on the kept session, connecting first when there is none.
    ///
    /// Any error drops the session. A kept session that turns out dead (the broker restarted or
    /// dropped it) gets one fresh connection within the same job, so a restart does not show as a
    /// spurious failure, unless the worker was retired meanwhile (its caller gave up) or no time is
    /// left.
    fileprivate static func run(_ job: Job, on session: inout (any MQSession)?, open: Opener,
                                retired: () -> Bool) -> Result<MQRoundTrip, MQError> {
        let reused = session != nil
        do throws(MQError) {
            let current: any MQSession
            if let session { current = session } else { current = try open(job.deadline) }
            session = current
            return .success(try current.roundTrip(id: job.id, deadline: job.deadline))
        } catch {
            session = nil
            guard reused, error.connectionLost, !retired(), ContinuousClock.now < job.deadline else { return .failure(error) }
        }
        do throws(MQError) {
            let fresh = try open(job.deadline)
            session = fresh
            return .success(try fresh.roundTrip(id: job.id, deadline: job.deadline))
        } catch {
            session = nil
            return .failure(error)
        }
    }

    /// User + system CPU time of the calling thread (`getrusage(RUSAGE_THREAD)`), nil where unsupported.
    static func threadCPUTime() -> Duration? {
        #if os(Linux)
        var usage = rusage()
        // RUSAGE_THREAD (1) is behind _GNU_SOURCE, which Swift's Glibc module does not define.
        guard getrusage(__rusage_who_t(1), &usage) == 0 else { return nil }
        let micros = Int64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000
            + Int64(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
        return .microseconds(micros)
        #else
        return nil
        #endif
    }
}
