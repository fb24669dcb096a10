import HACore

/// Whether this node may answer 200 on `/health/galera/writer` (agent-check `galera-writer`): the gate
/// between ``WriterChoice``'s pick and the endpoint. A pure state machine,
/// `(state, event, now) -> (state, actions)`; the writer tracker drives it once per round and the
/// endpoint reads what it published.
///
/// Being chosen is not enough. This node claims the writer role only when, in the same round:
///
/// 1. its own verdict passes (Primary, Synced, ...) and it is not drained;
/// 2. ``WriterChoice`` picked it;
/// 3. **it heard a majority of the configured controllers** (itself included) over the signed peer
///    call. An agent that cannot authenticate its peers (a secret rotation half done) or cannot reach
///    them (an API-only partition while Galera stays Primary on both sides) would otherwise choose
///    itself on each side. With a minority heard there is no writer here at all: the HAProxy writer
///    backend may be empty, but two writers (certification conflicts, lost writes on rollback) are
///    worse than none, and the reader backend still serves;
/// 4. **a majority of its own Galera view confirms Primary**: itself plus every peer whose report
///    carries a current wsrep status reading `Primary` (same cluster state UUID). The view is the
///    node's `wsrep_cluster_size` (the configured controller count when unknown). After `kill -9` of
///    two of three nodes the survivor still reads Primary with a view of 3 until the EVS suspect
///    timeout (5 s, or up to `evs.inactive_timeout`); its peers' agents report their servers down, so
///    it has 1 of 3 confirmations and is not the writer during that window. Nodes that left cleanly
///    shrink the view, so a cluster shrunk by clean shutdowns keeps a writer;
/// 5. every peer that may still answer 200 (it names itself writer, or it was not heard) has stepped
///    down, or ``takeoverDelay`` has passed since this node became eligible (every other agent has
///    run a round by then).
///
/// Stepping down is immediate: any event that breaks a condition publishes critical at once, and the
/// endpoint also checks the node's own verdict and the drain flag at read time.
public struct WriterHoldout: Sendable, Equatable {
    /// One peer as this round saw it.
    public struct Peer: Sendable, Equatable {
        public var name: String
        /// Its agent answered this round with a report for that node (authenticated by the signed call).
        public var heard: Bool
        /// Its report's wsrep status is current and reads Primary in our cluster.
        public var confirmsPrimary: Bool
        /// It names itself writer while passing: it may still answer 200 until its next round.
        public var claimsWriter: Bool

        public init(name: String, heard: Bool, confirmsPrimary: Bool = false, claimsWriter: Bool = false) {
            self.name = name
            self.heard = heard
            self.confirmsPrimary = heard && confirmsPrimary
            self.claimsWriter = heard && claimsWriter
        }

        public static func unheard(_ name: String) -> Peer { Peer(name: name, heard: false) }
    }

    /// This node's own verdict.
    public enum Local: Sendable, Equatable {
        /// Passing; `viewSize` is its `wsrep_cluster_size` when known.
        case passing(viewSize: Int?)
        case failing(String)
    }

    /// What one tracker round gathered.
    public struct Round: Sendable, Equatable {
        /// ``WriterChoice``'s pick.
        public var writer: String?
        public var local: Local
        public var drained: Bool
        /// Every other controller.
        public var peers: [Peer]

        public init(writer: String?, local: Local, drained: Bool = false, peers: [Peer]) {
            self.writer = writer
            self.local = local
            self.drained = drained
            self.peers = peers
        }
    }

    public enum Event: Sendable, Equatable {
        case round(Round)
        /// Between rounds: the node's own verdict failed.
        case localFailed(String)
        /// Between rounds: the node was drained.
        case drained
    }

    public enum Action: Sendable, Equatable {
        /// The writer endpoint's verdict.
        case publish(passing: Bool, reason: String)
        /// This node started answering 200 (log at notice).
        case claimed
        /// This node stopped answering 200, and why.
        case steppedDown(String)
    }

    public static let drainedReason = "drained: not a writer candidate"

    public let node: String
    /// Configured controllers, this node included.
    public let controllers: Int
    public let takeoverDelay: Duration
    /// Since when this node has been eligible (conditions 1 to 4) in every round; nil when it is not.
    public private(set) var eligibleSince: MonotonicInstant?
    /// Whether the last published verdict was passing.
    public private(set) var claiming = false

    public init(node: String, controllers: Int, takeoverDelay: Duration) {
        self.node = node
        self.controllers = max(controllers, 1)
        self.takeoverDelay = takeoverDelay
    }

    /// Controllers that must be heard, this node included.
    public var majority: Int { controllers / 2 + 1 }

    /// The pure form: the next state and what to do.
    public static func step(_ state: WriterHoldout, _ event: Event, now: MonotonicInstant) -> (WriterHoldout, [Action]) {
        var next = state
        let actions = next.handle(event, now: now)
        return (next, actions)
    }

    public mutating func handle(_ event: Event, now: MonotonicInstant) -> [Action] {
        switch event {
        case .localFailed(let reason): return settle(.failure(reason))
        case .drained: return settle(.failure(Self.drainedReason))
        case .round(let round): return settle(decide(round, now: now))
        }
    }

    private mutating func decide(_ round: Round, now: MonotonicInstant) -> Result<Void, Refusal> {
        let viewSize: Int?
        switch round.local {
        case .failing(let reason): return .failure(reason)
        case .passing(let size): viewSize = size
        }
        if round.drained { return .failure(Self.drainedReason) }
        guard round.writer == node else {
            return .failure(round.writer.map { "not the designated writer (\($0) is)" }
                ?? "no designated writer: no controller passes")
        }
        let heard = 1 + round.peers.count { $0.heard }
        guard heard >= majority else {
            return .failure("no quorum of agents: heard \(heard) of \(controllers) controllers, need \(majority)")
        }
        // Clamped: a view smaller than 1 is nonsense, one far larger than the controllers is not ours to size.
        let view = min(max(viewSize ?? controllers, 1), max(controllers, 64))
        let confirmed = 1 + round.peers.count { $0.confirmsPrimary }
        let need = view / 2 + 1
        guard confirmed >= need else {
            return .failure("Primary not confirmed: \(confirmed) of \(view) nodes in the view report Primary, need \(need)")
        }
        let since = eligibleSince ?? now
        eligibleSince = since
        let holdouts = round.peers.filter { !$0.heard || $0.claimsWriter }.map(\.name)
        if !holdouts.isEmpty && now - since < takeoverDelay {
            return .failure("taking over as writer once \(holdouts.joined(separator: ", ")) stepped down", keepEligible: true)
        }
        return .success(())
    }

    fileprivate struct Refusal: Error {
        var reason: String
        var keepEligible = false
    }

    private mutating func settle(_ outcome: Result<Void, Refusal>) -> [Action] {
        switch outcome {
        case .success:
            defer { claiming = true }
            return [.publish(passing: true, reason: "ok")] + (claiming ? [] : [.claimed])
        case .failure(let refusal):
            if !refusal.keepEligible { eligibleSince = nil }
            defer { claiming = false }
            return [.publish(passing: false, reason: refusal.reason)] + (claiming ? [.steppedDown(refusal.reason)] : [])
        }
    }
}

private extension Result where Failure == WriterHoldout.Refusal {
    static func failure(_ reason: String, keepEligible: Bool = false) -> Self {
        .failure(WriterHoldout.Refusal(reason: reason, keepEligible: keepEligible))
    }
}
