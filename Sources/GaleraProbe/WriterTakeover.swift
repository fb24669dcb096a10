import HACore

/// The writer-role rule of one agent, round by round: what each controller's report means as a
/// candidacy and as a holdout peer, ``WriterChoice``'s pick over them, and ``WriterHoldout``'s gate
/// on that pick. A pure value, `(state, event, now) -> (state, actions)`: the writer tracker gathers
/// the reports (signed peer calls, the local board entry) and executes the actions (board, logs).
///
/// Read from a peer's report, every number bounded before any arithmetic:
/// - candidacy: drained -> ineligible; passing with a bounded `passing_for` -> passing since
///   `received - passing_for`; anything else failing;
/// - it confirms Primary when its wsrep status is current (``statusWindow``), reads Primary, and is
///   in our cluster (same state UUID, when both are known);
/// - it may still answer 200 when it names itself writer while passing.
public struct WriterTakeover: Sendable, Equatable {
    /// One controller as a round saw it.
    public enum Seen: Sendable, Equatable {
        /// This node's candidacy (from its own board entry and drain flag).
        case local(WriterChoice.Candidate)
        /// A peer's report for that peer, received at `received`.
        case report(GaleraReport, received: MonotonicInstant)
        /// A peer that gave no usable report (no answer in time, refused, or naming another node).
        case unheard(String)
    }

    /// What one tracker round gathered.
    public struct Round: Sendable, Equatable {
        /// Every controller, in config order (the order breaks ties in ``WriterChoice``).
        public var seen: [Seen]
        /// This node's own verdict as the gate sees it, at the end of the round.
        public var local: WriterHoldout.Local
        public var drained: Bool
        /// Our cluster state UUID, when known: a peer in another cluster does not confirm Primary.
        public var clusterUUID: String?

        public init(seen: [Seen], local: WriterHoldout.Local, drained: Bool = false, clusterUUID: String? = nil) {
            self.seen = seen
            self.local = local
            self.drained = drained
            self.clusterUUID = clusterUUID
        }
    }

    public enum Event: Sendable, Equatable {
        case round(Round)
        /// Between rounds: the node's own verdict failed, or it was drained (see ``WriterHoldout/Event``).
        case holdout(WriterHoldout.Event)
    }

    public enum Action: Sendable, Equatable {
        /// The designated writer changed (log at notice), with the candidacies it was chosen from.
        case writerChanged(WriterChoice.Change, candidates: [WriterChoice.Candidate])
        /// The gate's actions: publish the endpoint's verdict, claimed, stepped down.
        case gate(WriterHoldout.Action)
    }

    public private(set) var choice: WriterChoice
    public private(set) var holdout: WriterHoldout
    /// How long a peer's wsrep status may be old and still confirm Primary.
    public let statusWindow: Duration

    public init(node: String, controllers: Int, holdDown: Duration, takeoverDelay: Duration, statusWindow: Duration) {
        self.choice = WriterChoice(holdDown: holdDown)
        self.holdout = WriterHoldout(node: node, controllers: controllers, takeoverDelay: takeoverDelay)
        self.statusWindow = statusWindow
    }

    /// The designated writer as this agent sees it (nil: none passes, or before the first round).
    public var writer: String? { choice.writer }

    public mutating func handle(_ event: Event, now: MonotonicInstant) -> [Action] {
        switch event {
        case .holdout(let event):
            return holdout.handle(event, now: now).map(Action.gate)
        case .round(let round):
            let candidates = round.seen.map { candidate($0) }
            var actions: [Action] = []
            if let change = choice.update(candidates, now: now) {
                actions.append(.writerChanged(change, candidates: candidates))
            }
            let peers = round.seen.compactMap { peer($0, clusterUUID: round.clusterUUID) }
            let gate = WriterHoldout.Round(writer: choice.writer, local: round.local, drained: round.drained, peers: peers)
            return actions + holdout.handle(.round(gate), now: now).map(Action.gate)
        }
    }

    /// The pure form: the next state and what to do.
    public static func step(_ state: WriterTakeover, _ event: Event, now: MonotonicInstant) -> (WriterTakeover, [Action]) {
        var next = state
        let actions = next.handle(event, now: now)
        return (next, actions)
    }

    private func candidate(_ seen: Seen) -> WriterChoice.Candidate {
        switch seen {
        case .local(let candidate): candidate
        case .report(let report, let received): Self.candidate(report, received: received)
        case .unheard(let name): .failing(name)
        }
    }

    private func peer(_ seen: Seen, clusterUUID: String?) -> WriterHoldout.Peer? {
        switch seen {
        case .local: nil
        case .unheard(let name): .unheard(name)
        case .report(let report, _):
            WriterHoldout.Peer(name: report.node, heard: true,
                               confirmsPrimary: Self.confirmsPrimary(report, window: statusWindow, clusterUUID: clusterUUID),
                               claimsWriter: report.writer == report.node && report.status == .passing)
        }
    }

    /// A peer's candidacy from its report; every number bounded before any arithmetic.
    public static func candidate(_ report: GaleraReport, received: MonotonicInstant) -> WriterChoice.Candidate {
        if report.drained == true { return .drained(report.node) }
        guard report.status == .passing, let passingFor = GaleraReport.boundedDuration(report.passingForSeconds) else {
            return .failing(report.node)
        }
        return .passing(report.node, since: received - passingFor)
    }

    /// The peer's latest probe read Primary, within `window`, in the same cluster as ours (when both UUIDs are known).
    public static func confirmsPrimary(_ report: GaleraReport, window: Duration, clusterUUID: String?) -> Bool {
        guard report.statusIsCurrent(window: window), report.wsrep?.cluster == .primary else { return false }
        if let theirs = report.wsrep?.clusterStateUUID, let ours = clusterUUID {
            return theirs == ours
        }
        return true
    }
}
