import HACore
import VIPManager

/// A tiny in-test network of VRRP machines on virtual time: each `sendAdvert` reaches every other
/// powered node at the same instant, timers fire when virtual time reaches them, and the address
/// holders are tracked after every action so tests can look at each instant in between.
///
/// Actions run in the order returned and an advert reaches the others the moment it is sent, before
/// the sender's next action: the worst case for a driver, so "add before the old Master removes" is
/// really tested. Like a real driver, a node finishes its current action list before it handles the
/// next event (events for a busy node wait in its inbox). Timers due at the same instant are all
/// handled before any of their actions run, so simultaneous timeouts really are simultaneous (the
/// hard case for ties).
struct VirtualLAN {
    typealias Machine = VRRPStateMachine

    struct Node {
        var name: String
        var machine: Machine
        var powered = true
    }

    struct Transition: Equatable {
        var at: MonotonicInstant
        var node: String
        var from: Machine.State
        var to: Machine.State
    }

    /// One change of the holder set: who holds the addresses right after it.
    struct HolderChange: Equatable {
        var at: MonotonicInstant
        var holders: Set<String>
    }

    private(set) var nodes: [Node]
    private(set) var now: MonotonicInstant
    private(set) var holders: Set<String> = []
    private(set) var holderTrace: [HolderChange] = []
    private(set) var transitions: [Transition] = []
    private(set) var announcements: [(at: MonotonicInstant, node: String)] = []
    private var depth = 0
    private var busy: Set<Int> = []
    private var inbox: [Int: [Machine.Event]] = [:]

    /// Nodes in `Initialize`; nothing runs until `start` or `inject(.startup, ...)`.
    init(_ nodes: [(String, Machine.Parameters)], now: MonotonicInstant = VRRPTesting.t(1000)) {
        self.nodes = nodes.map { Node(name: $0.0, machine: Machine(parameters: $0.1)) }
        self.now = now
    }

    func machine(_ name: String) -> Machine { nodes[index(name)].machine }

    /// Powered nodes in Master.
    var masters: [String] { nodes.filter { $0.powered && $0.machine.state == .master }.map(\.name) }

    /// Starts every named node at the current instant (all timers armed before any delivery).
    mutating func start(_ names: String...) {
        handleTogether(names.map(index), .startup)
    }

    /// Feeds `event` to one node now and delivers whatever it sends.
    mutating func inject(_ event: Machine.Event, to name: String) {
        let i = index(name)
        precondition(nodes[i].powered, "\(name) is powered off")
        feed(event, to: i)
    }

    /// Power loss: the node falls silent and its addresses vanish with it.
    mutating func powerOff(_ name: String) {
        let i = index(name)
        nodes[i].powered = false
        setHolding(nodes[i].name, false)
    }

    /// Boots a fresh machine with the same parameters and starts it.
    mutating func powerOn(_ name: String) {
        let i = index(name)
        nodes[i] = Node(name: name, machine: Machine(parameters: nodes[i].machine.parameters))
        start(name)
    }

    /// Runs virtual time up to `end`, firing timers as they fall due.
    mutating func advance(to end: MonotonicInstant) {
        var rounds = 0
        while let due = nextDeadline(), due <= end {
            rounds += 1
            precondition(rounds < 1_000_000, "virtual time does not progress")
            now = max(now, due)
            let fired = nodes.indices.filter { i in
                nodes[i].powered && nodes[i].machine.nextDeadline.map { $0 <= due } == true
            }
            handleTogether(fired, .timerFired)
        }
        now = max(now, end)
    }

    mutating func advance(by duration: Duration) {
        advance(to: now + duration)
    }

    /// The changes of the holder set since `instant` (inclusive), preceded by the set at that time.
    func holders(since instant: MonotonicInstant) -> [Set<String>] {
        let before = holderTrace.last { $0.at < instant }?.holders ?? []
        return [before] + holderTrace.filter { $0.at >= instant }.map(\.holders)
    }

    func transitions(to state: Machine.State, of name: String) -> [Transition] {
        transitions.filter { $0.node == name && $0.to == state }
    }

    // MARK: Internals

    private func index(_ name: String) -> Int {
        guard let i = nodes.firstIndex(where: { $0.name == name }) else { preconditionFailure("no node \(name)") }
        return i
    }

    /// Every machine handles `event` first, then their actions run one node after the other.
    private mutating func handleTogether(_ indices: [Int], _ event: Machine.Event) {
        let batch = indices.map { ($0, nodes[$0].machine.handle(event, now: now)) }
        busy.formUnion(indices)
        for (i, actions) in batch {
            finish(actions, at: i)
        }
    }

    private mutating func feed(_ event: Machine.Event, to i: Int) {
        if busy.contains(i) {
            inbox[i, default: []].append(event)
            return
        }
        busy.insert(i)
        finish(nodes[i].machine.handle(event, now: now), at: i)
    }

    /// Runs a busy node's action list, then the events that queued for it meanwhile.
    private mutating func finish(_ actions: [Machine.Action], at i: Int) {
        var actions = actions
        while true {
            execute(actions, at: i)
            guard var queue = inbox[i], !queue.isEmpty else { break }
            let next = queue.removeFirst()
            inbox[i] = queue
            actions = nodes[i].machine.handle(next, now: now)
        }
        busy.remove(i)
    }

    private func nextDeadline() -> MonotonicInstant? {
        nodes.filter(\.powered).compactMap(\.machine.nextDeadline).min()
    }

    private mutating func execute(_ actions: [Machine.Action], at i: Int) {
        let name = nodes[i].name
        for action in actions {
            switch action {
            case .addAddresses:
                setHolding(name, true)
            case .removeAddresses:
                setHolding(name, false)
            case .announce:
                announcements.append((now, name))
            case .sendAdvert(let priority):
                let parameters = nodes[i].machine.parameters
                deliver(.advert(priority: priority, maxAdvertInterval: parameters.advertInterval,
                                source: parameters.primaryAddress), from: i)
            case .transition(let from, let to, _):
                transitions.append(Transition(at: now, node: name, from: from, to: to))
            }
        }
    }

    /// Delivers an advert to every other powered node now; a ping-pong between machines would trip
    /// the depth bound.
    private mutating func deliver(_ event: Machine.Event, from sender: Int) {
        depth += 1
        defer { depth -= 1 }
        precondition(depth < 64, "adverts ping-pong at \(now)")
        for j in nodes.indices where j != sender && nodes[j].powered {
            feed(event, to: j)
        }
    }

    private mutating func setHolding(_ name: String, _ holding: Bool) {
        let changed = holding ? holders.insert(name).inserted : holders.remove(name) != nil
        if changed {
            holderTrace.append(HolderChange(at: now, holders: holders))
        }
    }
}
