import Synchronization

/// The snapshot of every health entry on this node: what endpoints, the agent-check port, VIP tracking
/// and `/v1/status` read.
///
/// Writers (``CheckRunner``, the Galera and RabbitMQ probes) ``publish(name:status:reason:last:interval:)``
/// after each probe; readers never run a probe, they read the last published entry under a `Mutex`
/// (a dictionary lookup: microseconds). Thread-safe, callable from any task or thread.
///
/// The stale rule is applied at read time: an entry whose last result is older than
/// ``staleFactor`` intervals reads as critical "probe stale", whatever was stored, so a prober that
/// hangs or dies can never leave a stale `passing` behind.
public final class HealthBoard: Sendable {
    /// An entry as read at some instant.
    public struct Entry: Sendable, Equatable {
        public var name: String
        /// The debounced status (critical when stale).
        public var status: HealthStatus
        /// The one-line reason for `status` ("probe stale" when stale, "" when passing).
        public var reason: String
        /// The raw last result, as published (never rewritten by the stale rule).
        public var last: CheckResult
        /// The probe interval the stale rule measures against.
        public var interval: Duration
        /// When `status` last changed (for a stale read: when the entry went stale, unless it was
        /// already critical).
        public var since: MonotonicInstant
        /// Whether the stale rule overrode the stored status.
        public var stale: Bool

        public init(name: String, status: HealthStatus, reason: String, last: CheckResult,
                    interval: Duration, since: MonotonicInstant, stale: Bool = false) {
            self.name = name
            self.status = status
            self.reason = reason
            self.last = last
            self.interval = interval
            self.since = since
            self.stale = stale
        }
    }

    /// A read is stale when `now - last.at > staleFactor * interval`.
    public static let staleFactor = 3
    public static let staleReason = "probe stale"
    public static let noResultReason = "no result yet"

    private struct Stored {
        var entry: Entry
        /// Entries that were only registered have no result to go stale; they are critical already.
        var hasResult: Bool
    }

    private struct State {
        var entries: [String: Stored] = [:]
        var subscribers: [UInt64: AsyncStream<String>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds an entry that reads critical "no result yet" until its first publish.
    ///
    /// Registering a name that exists only updates its interval. `at` is the registration instant,
    /// reported as `since` (the origin when omitted).
    public func register(name: String, interval: Duration, at now: MonotonicInstant = .zero) {
        state.withLock { state in
            if state.entries[name] != nil {
                state.entries[name]!.entry.interval = interval
                return
            }
            let last = CheckResult.critical(Self.noResultReason, at: now)
            let entry = Entry(name: name, status: .critical, reason: Self.noResultReason, last: last,
                              interval: interval, since: now)
            state.entries[name] = Stored(entry: entry, hasResult: false)
        }
    }

    /// Stores the latest debounced `status` and raw result `last` of `name` (creating the entry if needed).
    ///
    /// `reason` goes with `status`; when `nil` it is `last.reason` if `last` agrees with `status`, else
    /// the reason stored before (e.g. a check that is still critical while its passes accumulate keeps
    /// its failure reason). Subscribers of ``changes()`` are told when `status` differs from before.
    public func publish(name: String, status: HealthStatus, reason: String? = nil, last: CheckResult,
                        interval: Duration) {
        state.withLock { state in
            let old = state.entries[name]?.entry
            let changed = old?.status != status
            let kept = old.flatMap { $0.status == status ? $0.reason : nil }
            let newReason = reason.map(CheckResult.oneLine)
                ?? (last.status == status ? last.reason : kept ?? last.reason)
            let entry = Entry(name: name, status: status, reason: status == .passing ? "" : newReason,
                              last: last, interval: interval, since: changed ? last.at : old!.since)
            state.entries[name] = Stored(entry: entry, hasResult: true)
            if changed { Self.notify(name, state.subscribers) }
        }
    }

    /// Drops the entry; subscribers of ``changes()`` are told its name.
    public func remove(name: String) {
        state.withLock { state in
            if state.entries.removeValue(forKey: name) != nil { Self.notify(name, state.subscribers) }
        }
    }

    /// The entry for `name` as of `now`, with the stale rule applied; `nil` when unknown.
    public func read(_ name: String, now: MonotonicInstant) -> Entry? {
        state.withLock { $0.entries[name] }.map { Self.view($0, now: now) }
    }

    /// Every entry as of `now`, stale rule applied, sorted by name.
    public func all(now: MonotonicInstant) -> [Entry] {
        state.withLock { Array($0.entries.values) }
            .map { Self.view($0, now: now) }
            .sorted { $0.name < $1.name }
    }

    /// Names of entries whose debounced status changed (or that were removed), as they happen.
    ///
    /// A hint to re-read, not a log: each subscriber has its own stream buffering the newest 1024
    /// names. Staleness is evaluated at read time and is *not* announced here, so a tracker should also
    /// re-read periodically (a VIP does on every advert). Ending the iteration unsubscribes.
    public func changes() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1024))
        let id = state.withLock { state in
            state.nextSubscriber &+= 1
            state.subscribers[state.nextSubscriber] = continuation
            return state.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            // Returned out of the lock so the continuation is released after unlocking.
            let removed = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
            _ = removed
        }
        return stream
    }

    private static func notify(_ name: String, _ subscribers: [UInt64: AsyncStream<String>.Continuation]) {
        // yield only buffers (the consumer runs elsewhere), so calling it under the lock cannot re-enter.
        for continuation in subscribers.values { continuation.yield(name) }
    }

    private static func view(_ stored: Stored, now: MonotonicInstant) -> Entry {
        var entry = stored.entry
        guard stored.hasResult else { return entry }
        let staleAfter = entry.interval * staleFactor
        guard entry.last.at.duration(to: now) > staleAfter else { return entry }
        if entry.status != .critical { entry.since = entry.last.at + staleAfter }
        entry.status = .critical
        entry.reason = staleReason
        entry.stale = true
        return entry
    }
}
