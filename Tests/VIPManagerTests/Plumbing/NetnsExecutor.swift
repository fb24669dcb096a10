#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// A task executor that runs every job on one dedicated OS thread.
///
/// Network namespaces belong to threads, and the cooperative pool's threads must never change
/// namespace. A test body run under `withTaskExecutorPreference(thread)` executes on this thread,
/// may `setns` it freely, and still records `#expect` issues against its test (task locals travel
/// with the task, not the thread). The thread ends at `stop()` and is never reused.
final class NetnsExecutor: TaskExecutor {
    private struct Jobs {
        var queue: [UnownedJob] = []
        var stopping = false
    }

    private let jobs = Mutex(Jobs())
    private let wakeup = DispatchSemaphore(value: 0)
    /// The thread's `pthread_t`, published once by the thread itself before it runs any job.
    private let thread = Atomic<UInt>(0)
    private let started = DispatchSemaphore(value: 0)

    init() throws {
        var handle = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&handle, nil, { context in
            let executor = Unmanaged<NetnsExecutor>.fromOpaque(context!).takeRetainedValue()
            executor.runLoop()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<NetnsExecutor>.fromOpaque(context).release()
            throw PlumbingTestError("pthread_create failed: \(String(cString: strerror(result)))")
        }
        pthread_detach(handle)
        started.wait()
    }

    /// True on this executor's thread.
    var isCurrent: Bool { pthread_equal(pthread_self(), thread.load(ordering: .acquiring)) != 0 }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.queue.append(job) }
        wakeup.signal()
    }

    /// Lets the thread finish: queued jobs still run, then it exits.
    func stop() {
        jobs.withLock { $0.stopping = true }
        wakeup.signal()
    }

    private func runLoop() {
        thread.store(pthread_self(), ordering: .releasing)
        started.signal()
        while true {
            wakeup.wait()
            let (next, stopping) = jobs.withLock { jobs -> (UnownedJob?, Bool) in
                (jobs.queue.isEmpty ? nil : jobs.queue.removeFirst(), jobs.stopping)
            }
            if let next {
                next.runSynchronously(on: asUnownedTaskExecutor())
            } else if stopping {
                return
            }
        }
    }
}

/// A failure of the test harness itself (spawning `ip`, entering a namespace, a socket).
struct PlumbingTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
