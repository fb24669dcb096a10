import Logging

/// The loop a module probe (Galera, RabbitMQ) runs: one probe per `interval`, each published to the
/// board under `name`, each racing a deadline that counts from the last probe the server answered.
///
/// The deadline rule (``deadline(start:lastAnswered:timeout:)``) is what makes `timeout` mean "the
/// longest a server may go without answering before the endpoint is 503": a probe's own
/// `start + timeout` would let a server that hangs just after a probe go unreported for
/// `interval + timeout`. A plain value; ``run(board:clock:logger:probe:)`` owns the loop's state.
public struct ProbeLoop: Sendable {
    /// Board entry, and the prefix of the log metadata keys (`galera.status`, `rabbitmq.reason`).
    public var name: String
    public var interval: Duration
    public var timeout: Duration
    /// Added to the status-change log lines.
    public var metadata: Logger.Metadata

    public init(name: String, interval: Duration, timeout: Duration,
                metadata: Logger.Metadata = [:]) {
        self.name = name
        self.interval = interval
        self.timeout = timeout
        self.metadata = metadata
    }

    /// The outer deadline of a probe starting at `start`: `timeout` after the start of the last
    /// answered probe, so a hang is reported within `timeout` of it; never less than `timeout / 2`
    /// after `start`, so a probe always has time to answer. With `interval <= timeout / 2` a hang is
    /// therefore reported within `timeout`. Without an answered probe yet: `start + timeout`.
    public static func deadline(start: MonotonicInstant, lastAnswered: MonotonicInstant?, timeout: Duration) -> MonotonicInstant {
        guard let lastAnswered else { return start + timeout }
        return max(lastAnswered + timeout, start + timeout / 2)
    }

    /// Registers the entry (critical "no result yet"), then probes every `interval` until the calling
    /// task is cancelled. `probe` gets its deadline and must return by it (on `clock`). A probe that
    /// timed out is followed by the next one at once if `interval` has already passed.
    public func run(board: HealthBoard, clock: any HAClock, logger: Logger,
                    probe: (_ deadline: MonotonicInstant) async -> CheckResult) async {
        board.register(name: name, interval: interval, at: clock.now)
        var previous: CheckResult?
        var lastAnswered: MonotonicInstant?
        while !Task.isCancelled {
            let start = clock.now
            let result = await probe(Self.deadline(start: start, lastAnswered: lastAnswered, timeout: timeout))
            if Task.isCancelled { break }
            if !result.timedOut { lastAnswered = start }  // a timed-out probe does not move the reference
            board.publish(name: name, status: result.status, last: result, interval: interval)
            logChange(from: previous, to: result, logger: logger)
            previous = result
            do { try await clock.sleep(until: max(start + interval, clock.now), tolerance: nil) } catch { break }
        }
    }

    /// A change of status is worth an operator's attention; a new failure reason is worth a line.
    func logChange(from previous: CheckResult?, to result: CheckResult, logger: Logger) {
        var metadata = self.metadata
        metadata["\(name).status"] = "\(result.status.rawValue)"
        metadata["\(name).previous_status"] = "\(previous?.status.rawValue ?? "none")"
        metadata["\(name).reason"] = "\(result.reason)"
        if previous?.status != result.status {
            logger.notice("\(name) status changed", metadata: metadata)
        } else if result.status != .passing, previous?.reason != result.reason {
            logger.info("\(name) failure reason changed", metadata: metadata)
        }
    }
}
