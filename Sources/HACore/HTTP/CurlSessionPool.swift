import Synchronization

/// Idle curl sessions, reused so keep-alive connections outlive a single request. Separate from
/// `HTTPClient` so queued work items do not keep the client alive.
final class CurlSessionPool: Sendable {
    private let idle = Mutex<[CurlSession]>([])

    /// Runs `transfer` on the calling pool thread. `active` is false when the thread pool is
    /// shutting down and refuses the work.
    func run(_ transfer: HTTPTransfer, active: Bool) {
        guard active else {
            transfer.abort(.shutdown)
            return
        }
        // The caller may have given up while the transfer waited for a thread.
        guard transfer.abortReason == .none else { return }
        let session: CurlSession
        do {
            session = try checkout()
        } catch {
            transfer.complete(.failure(error))
            return
        }
        let outcome = session.perform(transfer)
        idle.withLock { $0.append(session) }
        transfer.complete(outcome)
    }

    /// Frees every idle session and with it their connections.
    func drain() {
        idle.withLock { $0.removeAll() }
    }

    private func checkout() throws(HTTPClientError) -> CurlSession {
        if let session = idle.withLock({ $0.popLast() }) { return session }
        return try CurlSession()
    }
}
