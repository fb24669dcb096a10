import HACore
import HATestSupport
import Logging
import Synchronization

/// Helpers shared by the health tests (namespaced to stay clear of other test files in the target).
enum HealthTesting {
    /// The shared deterministic generator (HATestSupport).
    typealias SplitMix64 = HATestSupport.SplitMix64

    /// An instant `seconds` after the origin.
    static func at(_ seconds: Double) -> MonotonicInstant {
        MonotonicInstant.zero + .seconds(seconds)
    }

    /// Waits until `condition` holds, for at most `limit` of real time, so a broken expectation fails
    /// (the caller's `#expect` says what was awaited) instead of hanging. A timeout, not a speed bound:
    /// it only ends a wait for something that is not coming. Yields first (tasks on a `ManualClock`
    /// usually need only a few turns), then sleeps a millisecond between looks so a busy machine's
    /// cores go to the tasks being waited for, not to the spin.
    static func eventually(within limit: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        var looks = 0
        while !condition() {
            guard ContinuousClock.now < deadline else { return condition() }
            looks += 1
            if looks < 100 { await Task.yield() } else { try? await Task.sleep(for: .milliseconds(1)) }
        }
        return true
    }

    /// A thread-safe counter / recorder for checks driven by the runner.
    final class Recorder<Value: Sendable>: Sendable {
        private let values = Mutex<[Value]>([])
        func append(_ value: Value) { values.withLock { $0.append(value) } }
        var all: [Value] { values.withLock { $0 } }
        var count: Int { values.withLock { $0.count } }
    }

    /// Captures log records so tests can assert on `notice` lines and their metadata.
    struct CapturingLogHandler: LogHandler {
        struct Record: Sendable {
            var level: Logger.Level
            var message: String
            var metadata: Logger.Metadata
        }

        let records: Recorder<Record>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        var metadataProvider: Logger.MetadataProvider?

        func log(event: LogEvent) {
            records.append(Record(level: event.level, message: event.message.description,
                                  metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
    }

    static func capturingLogger() -> (Logger, Recorder<CapturingLogHandler.Record>) {
        let records = Recorder<CapturingLogHandler.Record>()
        return (Logger(label: "test") { _ in CapturingLogHandler(records: records) }, records)
    }
}
