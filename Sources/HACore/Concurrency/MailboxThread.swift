import Dispatch
import Foundation
import Synchronization

/// What a ``MailboxThread`` runs: thread-confined state (a C library's connection) and how it
/// handles one job. Created on the thread, used only there, never shared, so it need not be Sendable;
/// only its type crosses to the thread (`SendableMetatype`).
public protocol MailboxHandler: SendableMetatype {
    associatedtype Job: Sendable
    /// Handles one job; `retired` says whether the owner has given up on this thread meanwhile
    /// (no point retrying on a server that hangs).
    mutating func handle(_ job: Job, retired: () -> Bool)
    /// The thread's last act before `onExit`: close what it holds.
    mutating func finish()
}

/// One dedicated thread that runs jobs one at a time, in submission order, on state that lives only
/// on that thread: the way blocking C clients (libmariadb, librabbitmq) are kept off Swift's
/// cooperative pool.
///
/// Threading: other threads talk to it through a `Mutex` mailbox and a semaphore; results go back
/// through whatever the jobs carry (completion closures, run on this thread).
///
/// Lifetime: ``retire()`` makes the thread finish its handler and exit once the job in hand (if any)
/// returns; jobs still queued are dropped (their callers have their own deadlines). A thread stuck in
/// a hung server is retired and left behind; it exits when the library's own timeouts fire.
public final class MailboxThread<Job: Sendable>: Sendable {
    private struct Mailbox {
        var jobs: [Job] = []
        var retired = false
    }

    private let mailbox = Mutex(Mailbox())
    private let wakeup = DispatchSemaphore(value: 0)

    /// Starts the thread at once; it builds its handler with `makeHandler` there and sleeps until
    /// the first job. `onExit` runs on the thread as its last act, after ``MailboxHandler/finish()``.
    public init<Handler: MailboxHandler>(name: String, stackSize: Int = 512 << 10,
                                         makeHandler: @escaping @Sendable () -> Handler,
                                         onExit: @escaping @Sendable () -> Void) where Handler.Job == Job {
        let thread = Thread { [self] in
            var handler = makeHandler()
            self.loop(&handler)
            handler.finish()
            onExit()
        }
        thread.name = name
        thread.stackSize = stackSize
        thread.start()
    }

    /// Queues one job. Never blocks. A retired thread drops it.
    public func submit(_ job: Job) {
        let accepted = mailbox.withLock { box in
            guard !box.retired else { return false }
            box.jobs.append(job)
            return true
        }
        if accepted { wakeup.signal() }
    }

    /// Asks the thread to finish and exit after the job in hand. Never blocks; idempotent.
    public func retire() {
        let first = mailbox.withLock { box in
            defer { box.retired = true }
            return !box.retired
        }
        if first { wakeup.signal() }
    }

    public var isRetired: Bool { mailbox.withLock { $0.retired } }

    private func loop<Handler: MailboxHandler>(_ handler: inout Handler) where Handler.Job == Job {
        while true {
            wakeup.wait()
            let job: Job? = mailbox.withLock { box in
                guard !box.retired, !box.jobs.isEmpty else { return nil }
                return box.jobs.removeFirst()
            }
            guard let job else {
                if isRetired { return }
                continue
            }
            handler.handle(job, retired: { self.isRetired })
        }
    }
}
