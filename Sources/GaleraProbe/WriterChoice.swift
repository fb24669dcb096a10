import HACore

/// The designated Galera writer: the node `GET /health/galera/writer` answers 200 on. Every agent
/// must pick the same one, and HAProxy must not be made to flap between writers.
///
/// The rule (``choose(_:holdDown:tieMargin:now:)``) is a pure function of every controller's current
/// verdict, in config order, and of how long each has been passing:
///
/// - The writer is the first controller in config order that passes, except that a controller that
///   has not yet passed continuously for `holdDown` is passed over while a later passing controller
///   has been passing longer than it (by more than `tieMargin`).
/// - So with everything healthy the first controller writes; when the writer fails the choice moves
///   at once to the first passing controller that has proven itself (or, on a cold start where none
///   has, to the first one that has passed longest); and a recovered, more-preferred controller takes
///   the writer back only after passing for `holdDown`.
///
/// There is deliberately no memory of the previous writer in the rule: an agent that restarts, or
/// one that missed a probe, computes the same writer as the others from the same inputs. For that
/// to hold, `passingSince` must come from each node's own report (its board entry's `since`, sent as
/// "passing for D" and placed on the local clock as `receivedAt - D`), not from when this agent
/// happened to notice; then agents differ only by the request latency, and `tieMargin` keeps that
/// from mattering between controllers that started passing at about the same time.
///
/// A drained controller is ineligible (``Candidate/drained(_:)``): `hactl node drain` moves the
/// writer to the next eligible controller; when none is eligible there is no writer.
///
/// The value itself remembers the last choice only to report changes (``update(_:now:)``).
/// A plain value; each copy is owned by one driver.
public struct WriterChoice: Sendable, Equatable {
    /// One controller as the writer choice sees it.
    public struct Candidate: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        /// Since when it has passed continuously (local clock), or `nil` when it is not passing
        /// (failing, stale, or its agent unreachable).
        public var passingSince: MonotonicInstant?
        /// Drained (`hactl node drain`): never chosen, whatever its verdict; ``passingSince`` is nil.
        public var drained: Bool

        public init(name: String, passingSince: MonotonicInstant?, drained: Bool = false) {
            self.name = name
            self.passingSince = drained ? nil : passingSince
            self.drained = drained
        }

        public static func passing(_ name: String, since: MonotonicInstant) -> Candidate {
            Candidate(name: name, passingSince: since)
        }

        public static func failing(_ name: String) -> Candidate {
            Candidate(name: name, passingSince: nil)
        }

        /// A drained controller: ineligible, so the writer moves to the next eligible one.
        public static func drained(_ name: String) -> Candidate {
            Candidate(name: name, passingSince: nil, drained: true)
        }

        public var description: String {
            if drained { return "\(name) drained" }
            return passingSince.map { "\(name) passing since \($0)" } ?? "\(name) failing"
        }
    }

    /// A change of writer, worth logging at `notice`.
    public struct Change: Sendable, Equatable {
        public var from: String?
        public var to: String?
        public var at: MonotonicInstant

        public init(from: String?, to: String?, at: MonotonicInstant) {
            self.from = from
            self.to = to
            self.at = at
        }
    }

    /// Default `tieMargin`: far above the latency between agents, far below any hold-down.
    public static let defaultTieMargin: Duration = .seconds(1)

    /// `galera.writer_hold_down`.
    public var holdDown: Duration
    public var tieMargin: Duration
    /// The last choice; `nil` before the first update or when no controller passes.
    public private(set) var writer: String?
    /// When ``writer`` last changed (`nil` before the first update).
    public private(set) var since: MonotonicInstant?

    public init(holdDown: Duration = .seconds(30), tieMargin: Duration = WriterChoice.defaultTieMargin) {
        self.holdDown = holdDown
        self.tieMargin = tieMargin
    }

    /// Chooses again from `candidates` (every controller, config order) at `now`; returns the change
    /// if the writer moved (the first update always reports one, from `nil`).
    public mutating func update(_ candidates: [Candidate], now: MonotonicInstant) -> Change? {
        let chosen = Self.choose(candidates, holdDown: holdDown, tieMargin: tieMargin, now: now)
        guard chosen != writer || since == nil else { return nil }
        let change = Change(from: writer, to: chosen, at: now)
        writer = chosen
        since = now
        return change
    }

    /// The writer for `candidates` (every controller, config order) at `now`, or `nil` when none
    /// passes. Pure.
    public static func choose(_ candidates: [Candidate], holdDown: Duration = .seconds(30),
                              tieMargin: Duration = defaultTieMargin, now: MonotonicInstant) -> String? {
        let passing = candidates.compactMap { candidate in
            candidate.passingSince.map { (name: candidate.name, since: min($0, now)) }
        }
        for (index, node) in passing.enumerated() {
            if now - node.since >= holdDown { return node.name }
            let provenLater = passing[(index + 1)...].contains { node.since - $0.since > tieMargin }
            if !provenLater { return node.name }
        }
        return nil
    }
}
