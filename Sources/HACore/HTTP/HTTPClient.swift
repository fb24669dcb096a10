import Logging
import NIOPosix
import Synchronization

/// An HTTP/1.1 (and HTTPS) client over libcurl for agent, peer, management-API and OpenStack calls.
///
/// Threads: curl runs only on the client's own small pool of threads, never on Swift's
/// cooperative pool; `execute` just suspends. Each pool thread reuses a curl session, so
/// connections to the same peer are kept alive between requests.
///
/// Call `shutdown()` when done; dropping the last reference without it also stops the threads,
/// but does not wait for them.
public final class HTTPClient: Sendable {
    /// How long after `timeout` the outer deadline resumes a caller that curl has not released.
    static let deadlineGrace: Duration = .milliseconds(100)

    private let pool: NIOThreadPool
    private let logger: Logger
    private let sessions = CurlSessionPool()
    private let lifecycle = Mutex(Lifecycle())

    private struct Lifecycle {
        var inFlight: [ObjectIdentifier: HTTPTransfer] = [:]
        var shutdown: Task<Void, Never>?
    }

    /// - Parameters:
    ///   - threads: how many transfers may run at once; further requests wait for a thread, and
    ///     that wait counts against their `timeout`.
    ///   - logger: receives one `debug` line per request (method, URL, status or error, duration).
    public init(threads: Int = 2, logger: Logger = Logger(label: "hactl.http")) {
        precondition(threads > 0, "HTTPClient needs at least one thread")
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        self.logger = logger
    }

    deinit {
        if lifecycle.withLock({ $0.shutdown == nil }) {
            pool.shutdownGracefully { _ in }
        }
    }

    /// Sends `request` and returns the response, whatever its status.
    ///
    /// - Timeouts: curl enforces `connectTimeout` and `timeout`; independently, the caller is resumed
    ///   with `.timedOut` shortly after `timeout` even if curl does not return.
    /// - Cancellation: cancelling the calling task resumes it at once with `.cancelled` and aborts
    ///   the transfer on its worker thread.
    /// - After `shutdown()`, throws `.cancelled`.
    public func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        try request.validate()
        guard !Task.isCancelled else { throw .cancelled }
        let started = ContinuousClock.now
        let transfer = HTTPTransfer(request: request, deadline: started + request.timeout)
        guard register(transfer) else { throw .cancelled }
        defer { unregister(transfer) }

        let outcome = await withTaskCancellationHandler {
            transfer.armDeadline(grace: Self.deadlineGrace)
            pool.submit { [sessions] state in
                sessions.run(transfer, active: state == .active)
            }
            return await transfer.outcome()
        } onCancel: {
            transfer.abort(.cancelled)
        }
        log(request, outcome, elapsed: .now - started)
        return try outcome.get()
    }

    /// Aborts transfers in flight (their callers get `.cancelled`), then waits for the threads to
    /// stop. Idempotent; every call returns once the client is fully stopped.
    public func shutdown() async {
        let (task, transfers): (Task<Void, Never>, [HTTPTransfer]) = lifecycle.withLock { state in
            if state.shutdown == nil {
                state.shutdown = Task { [pool] in
                    try? await pool.shutdownGracefully()
                }
            }
            return (state.shutdown!, Array(state.inFlight.values))
        }
        for transfer in transfers { transfer.abort(.shutdown) }
        await task.value
        // No thread is left to check a session out: free the connections now, not at deinit.
        sessions.drain()
    }

    // MARK: - Bookkeeping

    private func register(_ transfer: HTTPTransfer) -> Bool {
        lifecycle.withLock { state in
            guard state.shutdown == nil else { return false }
            state.inFlight[ObjectIdentifier(transfer)] = transfer
            return true
        }
    }

    private func unregister(_ transfer: HTTPTransfer) {
        _ = lifecycle.withLock { $0.inFlight.removeValue(forKey: ObjectIdentifier(transfer)) }
    }

    private func log(_ request: HTTPRequest, _ outcome: HTTPTransfer.Outcome, elapsed: Duration) {
        var metadata: Logger.Metadata = [
            "http.method": "\(request.method)",
            "http.url": "\(request.url)",
            "http.duration_ms": "\(elapsed.milliseconds)",
        ]
        switch outcome {
        case .success(let response): metadata["http.status"] = "\(response.status)"
        case .failure(let error): metadata["error"] = "\(error)"
        }
        logger.debug("http request", metadata: metadata)
    }
}
