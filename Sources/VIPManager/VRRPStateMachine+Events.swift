import HACore

// The per-event handlers. Section numbers are RFC 5798 §6.4 as rewritten by RFC 9568 (whose
// "Active"/"Active_Down_Timer" are this file's Master/Master_Down timer).

extension VRRPStateMachine {
    /// True when neither a tracked fault nor priority 0 keeps us out of the election.
    var canServe: Bool { !isFaulted && effectivePriority > 0 }

    /// The priority as it goes on the wire.
    var advertisedPriority: UInt8 { UInt8(clamping: effectivePriority) }

    // MARK: Startup, shutdown

    /// §6.4.1. A startup while tracked checks already fail lands in Fault rather than Backup.
    mutating func startup(now: MonotonicInstant) -> [Action] {
        guard state == .initialize else { return [] }
        return enterByInitializeRules(now: now, reason: "startup")
    }

    /// §6.4.2/§6.4.3 Shutdown. The fault flag and effective priority survive, so a later startup
    /// still honours a failing check.
    mutating func shutdown() -> [Action] {
        let previous = state
        var actions: [Action] = []
        switch state {
        case .initialize:
            return []
        case .master:
            actions = [.sendAdvert(priority: 0), .removeAddresses]
        case .backup, .fault:
            break
        }
        state = .initialize
        deadline = nil
        masterAddress = nil
        preemptEligibleSince = nil
        return actions + [.transition(from: previous, to: .initialize, reason: "shutdown")]
    }

    /// The Initialize rules of §6.4.1, also used when leaving Fault: owner -> Master, else Backup
    /// with Master_Adver_Interval reset to our own interval (nothing learned survives a restart).
    mutating func enterByInitializeRules(now: MonotonicInstant, reason: String) -> [Action] {
        guard canServe else {
            return enterFault(reason: isFaulted ? "fault: \(faultCause)" : "priority 0: cannot serve")
        }
        if effectivePriority == 255 {
            return enterMaster(now: now, reason: state == .initialize ? "\(reason) as address owner" : reason)
        }
        return enterBackup(now: now, learned: parameters.advertInterval, master: nil, actions: [],
                           reason: reason)
    }

    // MARK: Timers

    /// An early call (before the deadline, or with none armed) does nothing: the driver may race.
    mutating func timerFired(now: MonotonicInstant) -> [Action] {
        guard let due = deadline, now >= due else { return [] }
        switch state {
        case .master:
            // §6.4.3: rearm from now, not from the missed deadline, so a late driver does not burst.
            deadline = now + parameters.advertInterval
            return [.sendAdvert(priority: advertisedPriority)]
        case .backup:
            return enterMaster(now: now, reason: "master down timer expired")
        case .initialize, .fault:
            return []
        }
    }

    // MARK: Adverts

    /// Adverts are only meaningful in Backup and Master. Also dropped here, defensively: a zero
    /// interval (RFC 9568 §7.1 says discard) and our own advert looped back, which as an
    /// equal-priority "lower address" advert would make a Master answer itself forever.
    mutating func receiveAdvert(priority: Int, interval: Duration, source: IPAddress,
                                now: MonotonicInstant) -> [Action] {
        guard interval > .zero, source != parameters.primaryAddress else { return [] }
        switch state {
        case .backup:
            return backupReceives(priority: priority, interval: interval, source: source, now: now)
        case .master:
            return masterReceives(priority: priority, interval: interval, source: source, now: now)
        case .initialize, .fault:
            return []
        }
    }

    /// §6.4.2 "If an ADVERTISEMENT is received".
    mutating func backupReceives(priority: Int, interval: Duration, source: IPAddress,
                                 now: MonotonicInstant) -> [Action] {
        if priority == 0 {
            // The Master is leaving: take over after Skew_Time, highest-priority Backup first.
            masterAddress = nil
            deadline = now + skewTime
            return []
        }
        masterAddress = source
        if preempts(over: priority, now: now) {
            // Discard: the Master_Down timer keeps running and fires; that is the RFC's preemption.
            return []
        }
        learn(interval)
        deadline = now + masterDownInterval
        return []
    }

    /// Whether a lower-priority advert is discarded (preemption) rather than accepted.
    ///
    /// The owner preempts even with preempt off (RFC 5798 §6.1 Preempt_Mode). Equal priority never
    /// preempts in Backup (the RFC's "greater than or equal": ties are only broken between Masters).
    /// preempt_delay: eligibility starts with the first lower-priority advert and ends with any advert
    /// we would not preempt; while it is younger than preemptDelay the advert is accepted.
    mutating func preempts(over priority: Int, now: MonotonicInstant) -> Bool {
        let mayPreempt = parameters.preempt || effectivePriority == 255
        guard mayPreempt, priority < effectivePriority else {
            preemptEligibleSince = nil
            return false
        }
        guard parameters.preemptDelay > .zero else { return true }
        let since = preemptEligibleSince ?? now
        preemptEligibleSince = since
        return now - since >= parameters.preemptDelay
    }

    /// Master_Adver_Interval follows the Master in v3 only; RFC 3768 makes v2's field informational
    /// and every v2 router must be configured with the same interval.
    mutating func learn(_ interval: Duration) {
        if parameters.version == 3 {
            masterAdvertInterval = interval
        }
    }

    /// §6.4.3 "If an ADVERTISEMENT is received".
    mutating func masterReceives(priority: Int, interval: Duration, source: IPAddress,
                                 now: MonotonicInstant) -> [Action] {
        if priority == 0 {
            // A Backup-turned-Master is leaving; the Backups must hear us before their Skew_Time runs out.
            deadline = now + parameters.advertInterval
            return [.sendAdvert(priority: advertisedPriority)]
        }
        let higher = priority > effectivePriority
        if higher || (priority == effectivePriority && source > parameters.primaryAddress) {
            let why = higher ? "higher priority \(priority) advertisement from \(source)"
                : "equal priority \(priority) advertisement from higher address \(source)"
            return enterBackup(now: now, learned: interval, master: source,
                               actions: [.removeAddresses], reason: why)
        }
        // RFC 9568 §6.4.3: discard, and assert Mastership at once. The Adver timer keeps its cadence.
        var actions: [Action] = [.sendAdvert(priority: advertisedPriority)]
        if let last = lastAnnouncedAt, now - last < Self.contenderAnnounceHoldOff {
            return actions
        }
        lastAnnouncedAt = now
        actions.append(.announce)
        return actions
    }

    // MARK: Priority, fault, takeover

    /// Clamping: 0 stays 0 (cannot serve); negatives become 1 (keepalived: tracking weights cannot
    /// take a router out of the election, only a fault or an explicit 0 can); above 254 becomes 254,
    /// or 255 when the base is 255 (an owner whose checks all pass stays the owner).
    static func clamp(_ requested: Int, base: Int) -> Int {
        if requested == 0 { return 0 }
        return min(max(requested, 1), base == 255 ? 255 : 254)
    }

    /// A Master advertises a changed priority at once (and rearms): lower-priority Backups with
    /// preempt then take over through their Master_Down timer, as with keepalived. A Backup just
    /// compares with the new value from the next advert on; its running timer is not recomputed
    /// (RFC: Skew_Time is recomputed when an advert is accepted).
    mutating func adjustPriority(to requested: Int, now: MonotonicInstant) -> [Action] {
        let priority = Self.clamp(requested, base: parameters.basePriority)
        guard priority != effectivePriority else { return [] }
        effectivePriority = priority
        switch state {
        case .initialize:
            return []
        case .fault:
            guard canServe else { return [] }
            return enterByInitializeRules(now: now, reason: "priority \(priority): can serve again")
        case .backup, .master:
            guard priority > 0 else { return enterFault(reason: "priority 0: cannot serve") }
            guard state == .master else { return [] }
            deadline = now + parameters.advertInterval
            return [.sendAdvert(priority: advertisedPriority)]
        }
    }

    /// Fault from Backup or Master; in Initialize the flag is only recorded (a stopped router is not
    /// started by a check). Clearing it re-enters by the Initialize rules.
    /// A new cause while already faulted is only recorded (no transition).
    mutating func setFault(_ failing: Bool, cause: FaultCause, now: MonotonicInstant) -> [Action] {
        if failing { faultCause = cause }
        guard failing != isFaulted else { return [] }
        isFaulted = failing
        switch (state, failing) {
        case (.backup, true), (.master, true):
            return enterFault(reason: "fault: \(cause)")
        case (.fault, false) where canServe:
            return enterByInitializeRules(now: now, reason: "fault cleared")
        default:
            return []
        }
    }

    /// Planned handover: only a Backup can take over; in Master it is already done, in Initialize
    /// and Fault we cannot serve.
    mutating func takeover(now: MonotonicInstant) -> [Action] {
        guard state == .backup else { return [] }
        return enterMaster(now: now, reason: "takeover")
    }

    // MARK: Entering states

    /// Addresses and announcement first, advert last: see the type's documentation.
    mutating func enterMaster(now: MonotonicInstant, reason: String) -> [Action] {
        let previous = state
        state = .master
        masterAdvertInterval = parameters.advertInterval
        masterAddress = parameters.primaryAddress
        preemptEligibleSince = nil
        lastAnnouncedAt = now
        deadline = now + parameters.advertInterval
        return [.addAddresses, .announce, .sendAdvert(priority: advertisedPriority),
                .transition(from: previous, to: .master, reason: reason)]
    }

    /// Master_Down timer from the (learned) interval; `actions` are the effects of leaving the
    /// previous state.
    mutating func enterBackup(now: MonotonicInstant, learned interval: Duration, master: IPAddress?,
                              actions: [Action], reason: String) -> [Action] {
        let previous = state
        state = .backup
        masterAdvertInterval = parameters.advertInterval
        learn(interval)
        masterAddress = master
        preemptEligibleSince = nil
        deadline = now + masterDownInterval
        return actions + [.transition(from: previous, to: .backup, reason: reason)]
    }

    /// A Master says goodbye with priority 0 so Backups take over after Skew_Time, not
    /// Master_Down_Interval.
    mutating func enterFault(reason: String) -> [Action] {
        let previous = state
        let actions: [Action] = previous == .master ? [.sendAdvert(priority: 0), .removeAddresses] : []
        state = .fault
        deadline = nil
        masterAddress = nil
        preemptEligibleSince = nil
        return actions + [.transition(from: previous, to: .fault, reason: reason)]
    }
}
