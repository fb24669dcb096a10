/// Something that can be probed periodically by ``CheckRunner`` and answers with one ``CheckResult``.
///
/// Contract:
/// - `run(at:)` is called with the instant the run started (on the runner's clock) and returns a result
///   stamped with it (`CheckResult.passing(at: start)`). The runner re-stamps the result with the
///   instant it completed, so a check never needs a clock of its own.
/// - It is called from a task of its own, never on an actor the agent depends on; it must not block a
///   cooperative thread (blocking C calls belong on a dedicated thread or NIO's thread pool).
/// - It MUST return promptly when its task is cancelled (any result will do; it is discarded): the
///   runner cancels a run at its deadline and records "timeout after …" itself. A check that ignores
///   cancellation is not waited for, and no second copy of it is started while it still runs.
/// - Failures are results, not errors: a check never throws; it returns `.critical(reason, at:)` with
///   a one-line reason that names what failed and the raw cause ("connect 127.0.0.1:3306: Connection
///   refused", "HTTP 503 from http://…/healthz").
public protocol HealthCheck: Sendable {
    /// A unique name: the board entry, the log metadata `check.name`, the `track:` key of a VIP.
    var name: String { get }
    func run(at start: MonotonicInstant) async -> CheckResult
}

/// A check made of a closure: for tests and for small ad-hoc checks wired by the agent.
public struct ClosureCheck: HealthCheck {
    public let name: String
    private let body: @Sendable (MonotonicInstant) async -> CheckResult

    public init(name: String, _ body: @escaping @Sendable (_ start: MonotonicInstant) async -> CheckResult) {
        self.name = name
        self.body = body
    }

    public func run(at start: MonotonicInstant) async -> CheckResult {
        await body(start)
    }
}
