import HACore

/// Scenarios every ``ProbeDriver`` subclass (GaleraMonitor, MQMonitor) goes through the same way,
/// against its ``ScriptedServer`` and a ``ManualClock``. They drive and return what they saw; the
/// module's test asserts it with the module's own texts.
public enum ProbeDriverScenarios {
    /// What ``fillStuckWorkers(_:server:clock:maxStuck:timeout:)`` saw.
    public struct StuckCap: Sendable {
        /// The reason of each hung probe at its deadline, in order.
        public var timeoutReasons: [String] = []
        /// Abandoned workers once the cap is reached.
        public var stuck = 0
        /// The probe asked with the cap reached, and when it was asked.
        public var refused: CheckResult?
        public var refusedAt: MonotonicInstant?
        /// Connections opened by then (one per worker).
        public var opens = 0
    }

    /// Hangs `maxStuck` probes one after another (each on a new worker) until `timeout` passes on
    /// `clock`, then asks one more with the cap reached. The server's script must hang.
    public static func fillStuckWorkers<Status, Worker, Answer, Failure>(
        _ probe: ProbeDriver<Status, Worker>, server: ScriptedServer<Answer, Failure>, clock: ManualClock,
        maxStuck: Int, timeout: Duration
    ) async -> StuckCap {
        var seen = StuckCap()
        for round in 1...maxStuck {
            let pending = Task { await probe.probe() }
            await server.until(hung: round)
            _ = await clock.waitForSleepers(1)
            clock.advance(by: timeout)
            seen.timeoutReasons.append(await pending.value.reason)
        }
        seen.stuck = probe.stuckWorkers
        seen.refusedAt = clock.now
        seen.refused = await probe.probe()
        seen.opens = server.opens
        return seen
    }

    /// Releases `count` hung calls and waits until their sessions are closed and the abandoned
    /// workers have exited; false when they have not after a bounded number of yields.
    public static func releaseStuckWorkers<Status, Worker, Answer, Failure>(
        _ probe: ProbeDriver<Status, Worker>, server: ScriptedServer<Answer, Failure>, count: Int
    ) async -> Bool {
        for _ in 0..<count { server.release() }
        await server.until(closes: count)
        return await noStuckWorkers(probe)
    }

    /// Waits until no abandoned worker is left. A worker reports its exit just after closing its
    /// session, so this is a short wait; false (fail fast) after 10 000 yields.
    public static func noStuckWorkers<Status, Worker>(_ probe: ProbeDriver<Status, Worker>) async -> Bool {
        for _ in 0..<10_000 where probe.stuckWorkers > 0 { await Task.yield() }
        return probe.stuckWorkers == 0
    }
}
