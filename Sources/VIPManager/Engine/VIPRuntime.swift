import HACore
import Logging

/// Every VIP of this node as one pure value: the per-instance ``VRRPStateMachine``s plus the
/// engine-level policy around them (handover pins and takeover, the release grace, handover
/// waiters, GARP/NA scheduling, link and socket faults, the periodic re-evaluation of priorities).
/// `(runtime, input, now) -> (runtime, effects)`: no I/O, no clock. ``VRRPEngine`` is its executor:
/// it feeds inputs (commands, datagrams, ticks, link changes, socket outcomes) with the current
/// monotonic time and carries out the effects in order, then waits until ``nextDeadline``.
///
/// What the runtime reads from the world at evaluation time (tracked checks, the drain flag, the
/// advert source address, wall time for the status) comes through ``Sensors``, read only when a
/// decision needs it, as the engine always did.
struct VIPRuntime {
    /// Identifies a `takeover` caller waiting for an answer; the executor keeps the reply.
    typealias WaiterID = Int

    /// How long a demoted master keeps the addresses after the state machine released them. The new
    /// master has already claimed them, but a keepalived successor sends its advert before its
    /// gratuitous ARPs: releasing at once would drop the client packets in between. Holding them a
    /// little longer is harmless (the new master's GARP moves the clients). Not applied on stop.
    static let releaseGrace: Duration = .milliseconds(100)
    /// Tracked checks, drain and advert sources are re-read this often (and on every event that may change them).
    static let evaluationInterval: Duration = .milliseconds(100)
    /// Consecutive advert send failures on one socket before it is re-opened (and, if that fails,
    /// its VIPs go to Fault until it can be).
    static let sendFailureLimit = 3

    enum Command: Equatable {
        /// Planned handover to this node; `pin` keeps the top priority until the next handover, a drain or a restart.
        case takeover(String, pin: Bool, deadline: MonotonicInstant, waiter: WaiterID)
        case unpin(String)
        /// Before a graceful stop: the bottom priority, advertised at once, not persisted.
        case leave
        case reevaluate
        /// The engine is stopping: a release from now on is immediate (no grace).
        case stop
    }

    enum Input {
        /// Join every virtual router (after the first reading of the links).
        case start
        case command(Command)
        /// A datagram read from the VRRP socket `key`.
        case datagram(VIPInstance.SocketKey, ReceivedDatagram)
        /// The loop woke up: run what is due (evaluation, timers, announcements, waiter deadlines).
        case tick
        /// A VIP interface went down or came back.
        case link(LinkChange)
        /// The executor re-opened (or failed to re-open) the VRRP sockets of an interface.
        case socketReopened(interface: String, ok: Bool)
        /// One advert send to one destination of a VIP succeeded or failed.
        case sent(vip: String, ok: Bool)
        /// Leave every virtual router (a Master sends priority 0 and releases at once); fail the waiters.
        case shutdown
    }

    enum LinkChange: Equatable {
        case down(String)
        case up(String)
    }

    enum Effect: Equatable {
        /// Encode and send one advert to each destination of the VIP; report each outcome as ``Input/sent(vip:ok:)``.
        case sendAdvert(vip: String, priority: UInt8)
        case addAddresses(vip: String)
        case removeAddresses(vip: String)
        /// One gratuitous ARP / unsolicited NA for each address of the VIP.
        case announce(vip: String)
        /// A state change: metrics and the operator's notice.
        case transition(vip: String, from: VRRPStateMachine.State, to: VRRPStateMachine.State, reason: String, priority: Int)
        /// Run the VIP's notify command (keepalived's arguments).
        case notify(command: String, arguments: [String], timeout: Duration)
        /// Answer a `takeover` caller.
        case answer(WaiterID, Answer)
        /// Re-open the VRRP sockets of an interface (the executor reports ``Input/socketReopened(interface:ok:)``).
        case reopenSocket(interface: String)
        /// Publish every VIP's `vip.NAME` board entry.
        case publishBoard
        case count(Count)
        case log(Logger.Level, String, [String: String])
    }

    /// What a `takeover` caller hears.
    enum Answer: Equatable {
        /// This node is Master of the VIP.
        case master
        case failed(VIPError)

        var result: Result<Void, VIPError> {
            switch self {
            case .master: .success(())
            case .failed(let error): .failure(error)
            }
        }
    }

    /// Metrics the runtime decides on (the executor counts what it sends and announces itself).
    enum Count: Equatable {
        case received(vip: String)
        case dropped(vip: String, reason: VRRPDropReason)
        case sourceUnavailable(vip: String)
    }

    /// Reads of the world, done only when a decision needs them.
    struct Sensors {
        var drained: () -> Bool
        var checkStatus: (_ check: String, _ now: MonotonicInstant) -> HealthStatus?
        var advertSource: (VIPInstance) -> AdvertSource
        /// Unix seconds, for the status' last transition.
        var wallTime: () -> Double
    }

    // The state. Changed only by `handle` (its handlers live in VIPRuntime+Inputs.swift and
    // VIPRuntime+Evaluation.swift, hence not private(set)); the executor and the tests read it.
    let node: Controller
    var instances: [VIPInstance]
    /// VRRP packets for a VRID we do not run, per socket (reported in the status as `vrid` drops).
    var unmatched: [VIPInstance.SocketKey: Int] = [:]
    var leaving = false
    var stopping = false
    /// Interfaces down as of the last applied change.
    var linksDown: Set<String> = []
    /// Interfaces whose VRRP socket could not be re-opened: their VIPs are in Fault until it can.
    var socketFailed: Set<String> = []
    var sendFailures: [VIPInstance.SocketKey: Int] = [:]
    var nextEvaluation: MonotonicInstant = .distantFuture

    init(node: Controller, instances: [VIPInstance]) {
        self.node = node
        self.instances = instances
    }

    /// The earliest instant at which a ``Input/tick`` has something to do.
    var nextDeadline: MonotonicInstant {
        var earliest = nextEvaluation
        for instance in instances {
            if let d = instance.machine.nextDeadline { earliest = min(earliest, d) }
            if let d = instance.announceAt.first { earliest = min(earliest, d) }
            if let d = instance.refreshAt { earliest = min(earliest, d) }
            if let d = instance.removeAt { earliest = min(earliest, d) }
            for w in instance.takeoverWaiters { earliest = min(earliest, w.deadline) }
        }
        return earliest
    }

    func instance(named name: String) -> VIPInstance? { instances.first { $0.name == name } }

    /// The status of every VIP, as the API reports it.
    var statuses: [VIPStatus] {
        instances.map { instance -> VIPStatus in
            var status = instance.status(base: instance.config.priorities[node.name] ?? 100)
            if let n = unmatched[instance.socketKey], n > 0 { status.dropped["vrid", default: 0] += n }
            return status
        }
    }

    /// The pure form: the next runtime and its effects.
    static func step(_ runtime: VIPRuntime, _ input: Input, now: MonotonicInstant, sensors: Sensors) -> (VIPRuntime, [Effect]) {
        var next = runtime
        let effects = next.handle(input, now: now, sensors: sensors)
        return (next, effects)
    }

    /// Applies `input` at `now`; the effects are to be executed in order. `now` must not go backwards.
    mutating func handle(_ input: Input, now: MonotonicInstant, sensors: Sensors) -> [Effect] {
        var step = Step(now: now, sensors: sensors)
        switch input {
        case .start: start(&step)
        case .command(let command): handle(command, &step)
        case .datagram(let key, let datagram): receive(datagram, on: key, &step)
        case .tick: tick(&step)
        case .link(let change): apply(change, &step)
        case .socketReopened(let interface, let ok): socketReopened(interface, ok: ok, &step)
        case .sent(let vip, let ok): sent(vip, ok: ok, &step)
        case .shutdown: shutdown(&step)
        }
        return step.effects
    }

    /// One input's context and the effects it produced.
    struct Step {
        let now: MonotonicInstant
        let sensors: Sensors
        var effects: [Effect] = []

        mutating func log(_ level: Logger.Level, _ message: String, _ metadata: [String: String] = [:]) {
            effects.append(.log(level, message, metadata))
        }
    }
}

extension VRRPStateMachine.State {
    /// keepalived's notify state names, so existing notify scripts keep working.
    var notifyName: String {
        switch self {
        case .initialize: "STOP"
        case .backup: "BACKUP"
        case .master: "MASTER"
        case .fault: "FAULT"
        }
    }
}
