import HACore

/// The recovery of one failed compute host: fence (confirmed off) -> isolate (forced down, then
/// disabled) -> evacuate each selected instance exactly once, tracked to its state elsewhere ->
/// `recovered` | `partial` | `fence_failed`.
///
/// A pure value: `handle(event, now)` changes the state and returns the actions a driver runs; no I/O,
/// no clock. **The driver persists the state a call returns before it runs that call's actions**
/// (write-ahead): an evacuation is on record as `requested` before it is sent, so a recovery resumed
/// anywhere (agent SIGKILLed, another controller taking over) asks Nova whether it happened instead of
/// sending it again.
///
/// Safety: no action that touches Nova is returned before the host is confirmed off by its BMC or by an
/// operator (`confirmOff`). Times are wall time because a recovery outlives the controller that started
/// it; every clock error errs on the safe side (a jump forward ends the fence retries early: fence_failed,
/// nothing evacuated; a jump back only delays a retry).
public struct RecoveryStateMachine: Sendable, Equatable, Codable {
    public enum Event: Sendable, Equatable {
        /// Begin: the first fence attempt.
        case start
        /// The state was loaded from the store after a restart or a takeover: whatever was in flight
        /// is unknown and is redone or verified.
        case resume
        /// One `off` + `status` round of the fence agent finished.
        case fenceFinished(FenceOutcome)
        /// An operator said the host is off (`hactl compute fence HOST --confirm-off`).
        case confirmOff(by: String)
        /// `PUT /os-services/{id}` with `forced_down: true` answered.
        case forceDownFinished(ok: Bool, detail: String)
        /// Disabling the service (with a reason naming the recovery) answered. Not fatal when it fails.
        case disableFinished(ok: Bool, detail: String)
        /// The servers Nova places on the failed host, or why they could not be listed.
        case listed(Result<[ServerView], StepFailure>)
        /// A reserved host's service was enabled (or not).
        case reservedHostEnabled(host: String, ok: Bool, detail: String)
        /// Nova's answer to `evacuate` for one server.
        case evacuateAnswered(id: String, EvacuateAnswer)
        /// After a resume: the server as Nova sees it now (nil: deleted) and whether Nova recorded an
        /// evacuation of it since this recovery started.
        case inspected(id: String, server: ServerView?, evacuationRecorded: Bool)
        /// Nova could not be asked (down, timed out): the instance stays unverified and is asked again.
        case inspectFailed(id: String, detail: String)
        /// The accepted servers as Nova sees them now; a missing id was deleted.
        case polled(Result<[ServerView], StepFailure>)
        /// `os-start` for a server that landed stopped although it ran before (Nova 2.95+).
        case startAnswered(id: String, ok: Bool, detail: String)
        /// Time passed: retries and polls that are due.
        case tick
    }

    public enum Action: Sendable, Equatable {
        /// Run the fence agent: `off`, then `status` until it reads off; report `fenceFinished`.
        case fence(attempt: Int)
        /// Force the host's nova-compute service down.
        case forceDown
        /// Disable the host's nova-compute service with this reason.
        case disable(reason: String)
        /// List the servers Nova places on the host (all tenants).
        case listServers
        /// Enable a reserved host's nova-compute service.
        case enableReservedHost(String)
        /// Evacuate one server (to `target`, or where the scheduler says).
        case evacuate(id: String, target: String?)
        /// Read one server and its migrations since the recovery began (after a resume).
        case inspect(id: String)
        /// Read these servers.
        case poll(ids: [String])
        /// Start a server that landed stopped but ran before.
        case startServer(id: String)
        /// Said loudly (log at error, metric, status): e.g. the fence failed.
        case alert(String)
        /// The recovery reached a final phase.
        case finished(RecoveryPhase)
    }

    /// Why a Nova step failed (a message for people: Nova's status and text, or the transport's).
    public struct StepFailure: Error, Sendable, Equatable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    /// One line of the recovery's timeline (`hactl compute history`).
    public struct Entry: Sendable, Equatable, Codable {
        public enum Step: String, Sendable, Codable {
            case started, resumed
            case fenceAttemptFailed = "fence_attempt_failed", fenced, fenceFailed = "fence_failed"
            case confirmedOff = "confirmed_off"
            case forcedDown = "forced_down", forceDownFailed = "force_down_failed"
            case disabled, disableFailed = "disable_failed"
            case listed, listFailed = "list_failed"
            case reservedHostEnabled = "reserved_host_enabled", reservedHostFailed = "reserved_host_failed"
            case evacuationSent = "evacuation_sent", evacuationAccepted = "evacuation_accepted"
            case evacuationDeferred = "evacuation_deferred", evacuationRefused = "evacuation_refused"
            case evacuationVerified = "evacuation_verified"
            case instanceDone = "instance_done", instanceFailed = "instance_failed", instanceSkipped = "instance_skipped"
            case startSent = "start_sent", pollFailed = "poll_failed"
            case finished
        }

        public var at: WallTime
        public var step: Step
        /// The instance concerned, if any.
        public var instance: String?
        public var detail: String

        public init(at: WallTime, step: Step, instance: String? = nil, detail: String = "") {
            self.at = at
            self.step = step
            self.instance = instance
            self.detail = detail
        }
    }

    /// A reserved host's state within this recovery.
    public enum ReservedHost: Sendable, Equatable, Codable {
        case notNeeded
        case enabling(String)
        case enabled(String)
        case unavailable(String)
    }

    public let id: String
    public let host: String
    public let trigger: RecoveryTrigger
    /// The policy the recovery started with, kept for its whole life (a reload does not change a
    /// running recovery) and stored with it.
    public let policy: RecoveryPolicy
    public private(set) var phase: RecoveryPhase
    public private(set) var startedAt: WallTime
    public private(set) var finishedAt: WallTime?
    /// `bmc` or the operator's name, once the host is confirmed off.
    public private(set) var fencedBy: String?
    public private(set) var fencedAt: WallTime?
    public private(set) var fenceAttempts = 0
    public private(set) var forcedDown = false
    public private(set) var disabled = false
    public private(set) var listedAt: WallTime?
    public private(set) var instances: [InstanceRecord] = []
    public private(set) var reserved: ReservedHost = .notNeeded
    public private(set) var timeline: [Entry] = []
    /// Why the recovery ended `partial` or `fence_failed`.
    public private(set) var reason: String?

    // In flight: what the driver is doing now. Not trusted after a resume.
    private var fenceRunning = false
    private var forceDownRunning = false
    private var listRunning = false
    /// The ids of the poll in flight: an answer judges only these (one accepted later is not "missing").
    private var polling: [String]?
    private var stepFailures = 0
    private var retryAt: WallTime?
    private var lastPoll: WallTime?

    public init(id: String, host: String, trigger: RecoveryTrigger, policy: RecoveryPolicy, now: WallTime) {
        self.id = id
        self.host = host
        self.trigger = trigger
        self.policy = policy
        self.phase = .fencing
        self.startedAt = now
    }

    public var fenceDeadline: WallTime { startedAt + policy.fenceTimeout }

    /// Counts by progress, for status and progress lines ("7/10 ACTIVE").
    public var selectedCount: Int { instances.filter { $0.progress != .skipped }.count }
    public var doneCount: Int { instances.filter { $0.progress == .done }.count }

    // MARK: - handle

    public mutating func handle(_ event: Event, now: WallTime) -> [Action] {
        guard !phase.isFinal || isOperatorRestart(event) else { return [] }
        switch event {
        case .start:
            guard timeline.isEmpty else { return [] }
            log(now, .started, "\(trigger.rawValue) recovery of \(host)")
            return startFence(now)
        case .resume:
            return resume(now)
        case .fenceFinished(let outcome):
            return fenceFinished(outcome, now)
        case .confirmOff(let who):
            guard phase == .fencing || phase == .fenceFailed else { return [] }
            log(now, .confirmedOff, "operator \(who) confirmed \(host) is off")
            return fenced(by: who, now)
        case .forceDownFinished(let ok, let detail):
            return forceDownFinished(ok, detail, now)
        case .disableFinished(let ok, let detail):
            guard phase == .isolating || phase == .evacuating else { return [] }
            disabled = ok
            log(now, ok ? .disabled : .disableFailed, detail)
            return []
        case .listed(let result):
            return listed(result, now)
        case .reservedHostEnabled(let name, let ok, let detail):
            guard case .enabling(let wanted) = reserved, wanted == name else { return [] }
            reserved = ok ? .enabled(name) : .unavailable("\(name) could not be enabled: \(detail)")
            log(now, ok ? .reservedHostEnabled : .reservedHostFailed, detail, instance: nil)
            return schedule(now)
        case .evacuateAnswered(let id, let answer):
            return evacuateAnswered(id, answer, now)
        case .inspected(let id, let server, let recorded):
            return inspected(id, server, recorded, now)
        case .inspectFailed(let id, let detail):
            guard phase == .evacuating, let index = index(of: id, in: [.verifying]), instances[index].notBefore == nil else { return [] }
            instances[index].notBefore = now + policy.retryDelay
            log(now, .pollFailed, "cannot verify: \(detail)", instance: id)
            return []
        case .polled(let result):
            return polled(result, now)
        case .startAnswered(let id, let ok, let detail):
            guard let index = index(of: id, in: [.accepted]) else { return [] }
            if !ok { return fail(index, "landed stopped on \(instances[index].landedOn ?? "?") and did not start: \(detail)", now) }
            return []
        case .tick:
            return tick(now)
        }
    }

    private func isOperatorRestart(_ event: Event) -> Bool {
        if case .confirmOff = event, phase == .fenceFailed { return true }
        return false
    }

    // MARK: - fence

    private mutating func startFence(_ now: WallTime) -> [Action] {
        fenceAttempts += 1
        fenceRunning = true
        return [.fence(attempt: fenceAttempts)]
    }

    private mutating func fenceFinished(_ outcome: FenceOutcome, _ now: WallTime) -> [Action] {
        guard phase == .fencing, fenceRunning else { return [] }
        fenceRunning = false
        switch outcome {
        case .confirmedOff:
            log(now, .fenced, "power off confirmed by the BMC (attempt \(fenceAttempts))")
            return fenced(by: "bmc", now)
        case .notConfirmed(let detail), .failed(let detail):
            log(now, .fenceAttemptFailed, "attempt \(fenceAttempts): \(detail)")
            let next = now + policy.fenceRetryDelay
            if next < fenceDeadline {
                retryAt = next
                return []
            }
            phase = .fenceFailed
            finishedAt = now
            reason = "fence failed after \(fenceAttempts) attempt(s) within \(policy.fenceTimeout): \(detail)"
            log(now, .fenceFailed, reason ?? "")
            return [.alert("\(host): \(reason ?? "") - nothing was evacuated"), .finished(.fenceFailed)]
        }
    }

    private mutating func fenced(by who: String, _ now: WallTime) -> [Action] {
        fencedBy = who
        fencedAt = now
        phase = .isolating
        reason = nil
        finishedAt = nil
        retryAt = nil
        stepFailures = 0
        fenceRunning = false
        forceDownRunning = true
        return [.forceDown]
    }

    // MARK: - isolate

    private mutating func forceDownFinished(_ ok: Bool, _ detail: String, _ now: WallTime) -> [Action] {
        guard phase == .isolating, forceDownRunning else { return [] }
        forceDownRunning = false
        guard ok else {
            log(now, .forceDownFailed, detail)
            return stepFailed("could not force nova-compute down: \(detail)", now)
        }
        forcedDown = true
        stepFailures = 0
        log(now, .forcedDown, detail)
        listRunning = true
        // Disabling a forced-down service is quick; listing does not wait for it.
        return [.disable(reason: disableReason), .listServers]
    }

    public var disableReason: String { "hactl recovery \(id): \(host) fenced" }

    private mutating func stepFailed(_ why: String, _ now: WallTime) -> [Action] {
        stepFailures += 1
        if stepFailures < policy.stepAttempts {
            retryAt = now + policy.retryDelay
            return []
        }
        return finish(now, failure: why)
    }

    private mutating func listed(_ result: Result<[ServerView], StepFailure>, _ now: WallTime) -> [Action] {
        guard phase == .isolating, listRunning else { return [] }
        listRunning = false
        switch result {
        case .failure(let failure):
            log(now, .listFailed, failure.message)
            return stepFailed("could not list the host's servers: \(failure.message)", now)
        case .success(let servers):
            stepFailures = 0
            listedAt = now
            phase = .evacuating
            var seen = Set<String>()
            for server in servers where seen.insert(server.id).inserted {
                switch policy.choose(server) {
                case .evacuate(let end):
                    instances.append(InstanceRecord(id: server.id, name: server.name, progress: .pending, expected: end))
                case .skip(let why):
                    instances.append(InstanceRecord(id: server.id, name: server.name, progress: .skipped, expected: .settled, reason: why))
                    log(now, .instanceSkipped, why, instance: server.id)
                }
            }
            log(now, .listed, "\(servers.count) server(s), \(selectedCount) to evacuate")
            return schedule(now)
        }
    }

    // MARK: - evacuate

    /// Sends what the concurrency allows, or finishes when every instance is final.
    private mutating func schedule(_ now: WallTime) -> [Action] {
        guard phase == .evacuating else { return [] }
        if instances.allSatisfy(\.progress.isFinal) { return finish(now, failure: nil) }
        var actions: [Action] = []
        var slots = policy.concurrency - instances.filter { [.requested, .verifying, .accepted].contains($0.progress) }.count
        for index in instances.indices where slots > 0 && instances[index].progress == .pending {
            if let wait = instances[index].notBefore, now < wait { continue }
            switch target(forAttempt: instances[index].attempts + 1) {
            case .wait:
                continue
            case .enable(let name):
                reserved = .enabling(name)
                actions.append(.enableReservedHost(name))
            case .fail(let why):
                actions += fail(index, why, now)
            case .send(let target):
                instances[index].progress = .requested
                instances[index].attempts += 1
                instances[index].target = target
                instances[index].notBefore = nil
                slots -= 1
                log(now, .evacuationSent, "attempt \(instances[index].attempts)" + (target.map { " to \($0)" } ?? ""),
                    instance: instances[index].id)
                actions.append(.evacuate(id: instances[index].id, target: target))
            }
        }
        if phase == .evacuating, instances.allSatisfy(\.progress.isFinal) { actions += finish(now, failure: nil) }
        return actions
    }

    private enum Placement: Equatable {
        case send(String?)
        case enable(String)
        case wait
        case fail(String)
    }

    /// Masakari's methods: which target the n-th attempt of an instance uses.
    private func target(forAttempt attempt: Int) -> Placement {
        let wantsReserved: Bool
        switch policy.method {
        case .auto: wantsReserved = false
        case .reservedHost: wantsReserved = true
        case .autoPriority: wantsReserved = attempt > 1
        case .rhPriority: wantsReserved = attempt == 1
        }
        guard wantsReserved else { return .send(nil) }
        switch reserved {
        case .enabled(let name):
            return .send(name)
        case .enabling:
            return .wait
        case .notNeeded:
            guard let name = policy.reservedHosts.first(where: { $0 != host }) else {
                return policy.method == .reservedHost ? .fail("no reserved host configured") : .send(nil)
            }
            return .enable(name)
        case .unavailable(let why):
            return policy.method == .reservedHost ? .fail(why) : .send(nil)
        }
    }

    private mutating func evacuateAnswered(_ id: String, _ answer: EvacuateAnswer, _ now: WallTime) -> [Action] {
        guard phase == .evacuating, let index = index(of: id, in: [.requested]) else { return [] }
        switch answer {
        case .accepted:
            instances[index].progress = .accepted
            instances[index].acceptedAt = now
            instances[index].reason = nil
            log(now, .evacuationAccepted, "", instance: id)
        case .conflict(let detail), .hostNotDown(let detail):
            // Not carried out: the attempt does not count, the deferral does.
            instances[index].attempts -= 1
            instances[index].deferrals += 1
            if instances[index].deferrals > policy.maxDeferrals {
                return fail(index, "deferred \(policy.maxDeferrals) times: \(detail)", now) + schedule(now)
            }
            instances[index].progress = .pending
            instances[index].notBefore = now + policy.retryDelay
            instances[index].reason = detail
            log(now, .evacuationDeferred, detail, instance: id)
        case .notFound:
            skip(index, "deleted before its evacuation", now)
        case .rejected(let detail):
            log(now, .evacuationRefused, detail, instance: id)
            return retryOrFail(index, detail, now) + schedule(now)
        }
        return schedule(now)
    }

    private mutating func retryOrFail(_ index: Int, _ why: String, _ now: WallTime) -> [Action] {
        guard instances[index].attempts < policy.maxAttempts else {
            return fail(index, "\(instances[index].attempts) attempt(s): \(why)", now)
        }
        instances[index].progress = .pending
        instances[index].notBefore = now + policy.retryDelay
        instances[index].reason = why
        instances[index].acceptedAt = nil
        return []
    }

    private mutating func inspected(_ id: String, _ server: ServerView?, _ recorded: Bool, _ now: WallTime) -> [Action] {
        guard phase == .evacuating, let index = index(of: id, in: [.verifying]) else { return [] }
        guard let server else {
            skip(index, "deleted before its evacuation", now)
            return schedule(now)
        }
        if recorded || (server.host != nil && server.host != host) {
            instances[index].progress = .accepted
            instances[index].acceptedAt = instances[index].acceptedAt ?? now
            log(now, .evacuationVerified, "Nova has it" + (server.host.map { " on \($0)" } ?? ""), instance: id)
        } else {
            // Never reached Nova: the attempt did not happen.
            instances[index].attempts = max(instances[index].attempts - 1, 0)
            instances[index].progress = .pending
            log(now, .evacuationVerified, "not sent before the interruption; sending", instance: id)
        }
        return schedule(now)
    }

    private mutating func polled(_ result: Result<[ServerView], StepFailure>, _ now: WallTime) -> [Action] {
        guard phase == .evacuating, let asked = polling else { return [] }
        polling = nil
        lastPoll = now
        guard case .success(let servers) = result else {
            if case .failure(let failure) = result { log(now, .pollFailed, failure.message) }
            return expire(now) + schedule(now)
        }
        let byID = Dictionary(servers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var actions: [Action] = []
        let askedSet = Set(asked)
        for index in instances.indices where instances[index].progress == .accepted && askedSet.contains(instances[index].id) {
            guard let server = byID[instances[index].id] else {
                skip(index, "deleted during its evacuation", now)
                continue
            }
            actions += observe(index, server, now)
        }
        return actions + expire(now) + schedule(now)
    }

    /// One accepted instance as Nova sees it now.
    private mutating func observe(_ index: Int, _ server: ServerView, _ now: WallTime) -> [Action] {
        guard server.taskState == nil else { return [] }
        let status = server.status.uppercased()
        let elsewhere = server.host != nil && server.host != host
        if status == "ERROR" {
            // Still on the failed host: the rebuild never started (no valid host...), so another try may
            // land. Elsewhere: the rebuild itself failed on a live host, which Nova will not evacuate from.
            guard elsewhere else {
                log(now, .evacuationRefused, "ERROR on \(host)", instance: server.id)
                return retryOrFail(index, "went ERROR before leaving \(host)", now)
            }
            instances[index].landedOn = server.host
            return fail(index, "went ERROR on \(server.host ?? "?")", now)
        }
        guard elsewhere else { return [] }
        instances[index].landedOn = server.host
        switch (instances[index].expected, status) {
        case (.active, "ACTIVE"), (.stopped, "SHUTOFF"), (.stopped, "ACTIVE"), (.settled, _):
            instances[index].progress = .done
            instances[index].reason = nil
            log(now, .instanceDone, "\(status) on \(server.host ?? "?")", instance: server.id)
            return []
        case (.active, "SHUTOFF") where !instances[index].startedWhenStopped:
            instances[index].startedWhenStopped = true
            log(now, .startSent, "landed SHUTOFF on \(server.host ?? "?"); it ran before", instance: server.id)
            return [.startServer(id: server.id)]
        default:
            return []
        }
    }

    /// Accepted evacuations past their time are failed.
    private mutating func expire(_ now: WallTime) -> [Action] {
        var actions: [Action] = []
        for index in instances.indices where instances[index].progress == .accepted {
            if let since = instances[index].acceptedAt, now - since > policy.evacuationTimeout {
                actions += fail(index, "not in its state elsewhere within \(policy.evacuationTimeout)", now)
            }
        }
        return actions
    }

    // MARK: - time and resume

    private mutating func tick(_ now: WallTime) -> [Action] {
        switch phase {
        case .fencing:
            guard !fenceRunning, let due = retryAt, due <= now else { return [] }
            retryAt = nil
            return startFence(now)
        case .isolating:
            guard let due = retryAt, due <= now, !forceDownRunning, !listRunning else { return [] }
            retryAt = nil
            if !forcedDown {
                forceDownRunning = true
                return [.forceDown]
            }
            listRunning = true
            return [.listServers]
        case .evacuating:
            var actions = expire(now)
            for index in instances.indices where instances[index].progress == .verifying {
                guard let due = instances[index].notBefore, due <= now else { continue }
                instances[index].notBefore = nil
                actions.append(.inspect(id: instances[index].id))
            }
            let accepted = instances.filter { $0.progress == .accepted }.map(\.id)
            if polling == nil, !accepted.isEmpty, lastPoll.map({ now - $0 >= policy.pollInterval }) ?? true {
                polling = accepted
                actions.append(.poll(ids: accepted))
            }
            return actions + schedule(now)
        case .recovered, .partial, .fenceFailed:
            return []
        }
    }

    private mutating func resume(_ now: WallTime) -> [Action] {
        fenceRunning = false
        forceDownRunning = false
        listRunning = false
        polling = nil
        retryAt = nil
        lastPoll = nil
        log(now, .resumed, "in \(phase.rawValue)")
        switch phase {
        case .fencing:
            // Powering off again is harmless; an unknown outcome is never taken as off.
            return startFence(now)
        case .isolating:
            if !forcedDown {
                forceDownRunning = true
                return [.forceDown]
            }
            listRunning = true
            return (disabled ? [] : [.disable(reason: disableReason)]) + [.listServers]
        case .evacuating:
            if case .enabling = reserved { reserved = .notNeeded }
            var actions: [Action] = []
            for index in instances.indices where [.requested, .verifying].contains(instances[index].progress) {
                instances[index].progress = .verifying
                instances[index].notBefore = nil
                actions.append(.inspect(id: instances[index].id))
            }
            return actions + tick(now)
        case .recovered, .partial, .fenceFailed:
            return []
        }
    }

    // MARK: - endings

    private mutating func fail(_ index: Int, _ why: String, _ now: WallTime) -> [Action] {
        instances[index].progress = .failed
        instances[index].reason = why
        log(now, .instanceFailed, why, instance: instances[index].id)
        return []
    }

    private mutating func skip(_ index: Int, _ why: String, _ now: WallTime) {
        instances[index].progress = .skipped
        instances[index].reason = why
        log(now, .instanceSkipped, why, instance: instances[index].id)
    }

    private mutating func finish(_ now: WallTime, failure: String?) -> [Action] {
        guard !phase.isFinal else { return [] }
        let failed = instances.filter { $0.progress == .failed }
        if let failure {
            reason = failure
        } else if !failed.isEmpty {
            reason = "\(failed.count) of \(selectedCount) instance(s) not recovered"
        }
        phase = (failure == nil && failed.isEmpty) ? .recovered : .partial
        finishedAt = now
        log(now, .finished, phase.rawValue + (reason.map { ": \($0)" } ?? ""))
        return phase == .partial ? [.alert("\(host): recovery \(id) \(reason ?? "partial")"), .finished(.partial)]
            : [.finished(.recovered)]
    }

    private func index(of id: String, in progress: Set<InstanceProgress>) -> Int? {
        instances.firstIndex { $0.id == id && progress.contains($0.progress) }
    }

    private mutating func log(_ now: WallTime, _ step: Entry.Step, _ detail: String, instance: String? = nil) {
        timeline.append(Entry(at: now, step: step, instance: instance, detail: detail))
    }
}
