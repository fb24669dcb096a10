import Foundation
import HACore
import Testing

/// hactl agents and keepalived 2.2.7 in one virtual router (SPEC §4: interoperable with keepalived;
/// v2 with PASS auth). hactl runs on ctl1 (150) and ctl2 (100); keepalived runs on ctl3, which the
/// hactl config lists as a controller (so its adverts are accepted) but which runs no agent; one test
/// lists it in `accept_from` instead.
/// Own namespaces (`ka-` prefix), so this suite never touches the lab of the other suites.
@Suite("keepalived interop", .serialized)
struct KeepalivedInteropTests {
    static let vip = "198.18.0.10"
    static let ctl1 = "198.18.0.11", ctl2 = "198.18.0.12", ctl3 = "198.18.0.13"

    /// One VRRP flavour: hactl's `vips:` lines beyond the common ones, keepalived's, and how long
    /// a master-down takeover may take (3 x interval + skew, plus start-up and slack).
    struct Flavour {
        var version: Int
        var hactlLines: String
        var keepalivedInterval: String
        var authPass: String?
        var failover: Duration
        var steady: Duration
    }

    static let v3 = Flavour(version: 3, hactlLines: "    advert_interval: 100ms\n", keepalivedInterval: "0.1",
                            authPass: nil, failover: .seconds(10), steady: .seconds(1))
    static let v2 = Flavour(version: 2,
                            hactlLines: "    advert_interval: 1s\n    version: 2\n    auth_pass_file: vip.pass\n",
                            keepalivedInterval: "1", authPass: "s3cret12", failover: .seconds(15), steady: .seconds(3))

    static func config(_ flavour: Flavour) -> String {
        """
        cluster:
          name: ka-interop
          secret_file: cluster.key
          api_port: 9780
          agent_check_port: 9781
        controllers:
          ctl1: { address: \(ctl1) }
          ctl2: { address: \(ctl2) }
          ctl3: { address: \(ctl3) }
        vips:
          - name: public
            vrid: 51
            interface: eth0
            addresses: [\(vip)/24]
            priorities: { ctl1: 150, ctl2: 100, ctl3: 50 }
        \(flavour.hactlLines)
        """
    }

    static func up(_ flavour: Flavour, authPassFile: String? = nil) throws -> Lab {
        let lab = try Lab.up(configBody: config(flavour), prefix: "ka-", name: "ka")
        if let pass = authPassFile ?? flavour.authPass {
            // The agent refuses a secret file that group or others can read.
            let path = lab.run + "/vip.pass"
            try (pass + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o600)
        }
        return lab
    }

    static func keepalived(_ flavour: Flavour, priority: Int, authPass: String? = nil) -> String {
        KeepalivedConf.instance(version: flavour.version, priority: priority, advertInt: flavour.keepalivedInterval,
                                authPass: authPass ?? flavour.authPass)
    }

    @Test("VRRPv3, 100 ms adverts: keepalived preempts hactl and loses to it by priority; failover both ways, one holder at a time")
    func vrrpv3Multicast() throws {
        let lab = try Self.up(Self.v3)
        defer { lab.down() }
        try electionAndFailover(lab, Self.v3, hactlMasterLoss: .gracefulStop)
    }

    @Test("VRRPv2 with PASS auth, 1 s adverts: same election; failover both ways, the hactl master by power loss")
    func vrrpv2PassAuth() throws {
        let lab = try Self.up(Self.v2)
        defer { lab.down() }
        try electionAndFailover(lab, Self.v2, hactlMasterLoss: .powerLoss)
    }

    @Test("VRRPv2: keepalived with another auth_pass is not a peer: hactl counts dropped.auth and ignores its priority 200")
    func wrongAuthPass() throws {
        let flavour = Self.v2
        let lab = try Self.up(flavour)
        defer { lab.down() }
        // keepalived first, so it is master and advertising (every 1 s) while the agent starts. (Seen
        // here: a keepalived master that keeps receiving adverts it cannot authenticate stops sending
        // its own, so the drops are counted while the agent is still a backup.)
        try lab.startKeepalived("ctl3", config: Self.keepalived(flavour, priority: 200, authPass: "wrongpw1"), name: "wrong")
        #expect(try lab.eventually(flavour.failover) { try lab.holders(of: Self.vip) == ["ctl3"] }, "\(lab.vrrpDiagnostics())")
        try lab.check([Lab.script, "start-agent", "ctl1"])

        // Priority 200 beats 150; that ctl1 still becomes master shows every advert was dropped.
        var status = try lab.vipStatus(Self.ctl1)
        #expect(try lab.eventually(flavour.failover) {
            status = try lab.vipStatus(Self.ctl1)
            return status?.state == "master" && (status?.dropped["auth"] ?? 0) >= 2
        }, "\(lab.vrrpDiagnostics())")
        #expect(status?.advertsReceived == 0, "no advert of keepalived's was accepted: \(String(describing: status))")
        #expect(status?.master == Self.ctl1)
        #expect(status?.dropped.keys.sorted() == ["auth"], "only auth drops: \(String(describing: status?.dropped))")

        // keepalived's goodbye (priority 0, wrong password) is dropped too, and counted.
        let before = status?.dropped["auth"] ?? 0
        try lab.stopKeepalived("ctl3")
        #expect(try lab.eventually(.seconds(5)) { (try lab.vipStatus(Self.ctl1)?.dropped["auth"] ?? 0) > before },
                "\(lab.vrrpDiagnostics())")
        let metrics = try lab.curl(["http://\(Self.ctl1):9780/metrics"]).body
        #expect(metrics.contains("hactl_vrrp_packets_dropped_total{vip=\"public\",reason=\"auth\"}"), "\(metrics)")
        #expect(try lab.holders(of: Self.vip) == ["ctl1"])
    }

    @Test("VRRPv3: a keepalived peer that is not a controller is dropped as `source` until accept_from lists it")
    func acceptFrom() throws {
        let flavour = Self.v3
        let twoControllers = Self.config(flavour).replacingOccurrences(of: "  ctl3: { address: \(Self.ctl3) }\n", with: "")
            .replacingOccurrences(of: ", ctl3: 50", with: "")
        let lab = try Lab.up(configBody: twoControllers, prefix: "ka-", name: "ka")
        defer { lab.down() }
        try lab.check([Lab.script, "start-agent", "ctl1"])
        #expect(try lab.eventually { try lab.holders(of: Self.vip) == ["ctl1"] }, "\(lab.vrrpDiagnostics())")

        // Not a controller, not accepted: its priority 200 changes nothing, and every advert is counted.
        try lab.startKeepalived("ctl3", config: Self.keepalived(flavour, priority: 200), name: "high")
        var status = try lab.vipStatus(Self.ctl1)
        #expect(try lab.eventually {
            status = try lab.vipStatus(Self.ctl1)
            return (status?.dropped["source"] ?? 0) >= 5
        }, "\(lab.vrrpDiagnostics())")
        #expect(status?.state == "master" && status?.advertsReceived == 0, "\(String(describing: status))")

        // accept_from: the same adverts now make keepalived the master.
        try twoControllers.replacingOccurrences(of: "    advert_interval: 100ms\n",
                                                with: "    advert_interval: 100ms\n    accept_from: [\(Self.ctl3)]\n")
            .write(toFile: lab.config, atomically: true, encoding: .utf8)
        try lab.check([Lab.script, "stop-agent", "ctl1"])
        try lab.check([Lab.script, "start-agent", "ctl1"])
        #expect(try lab.eventually {
            let s = try lab.vipStatus(Self.ctl1), holders = try lab.holders(of: Self.vip)
            return s?.state == "backup" && s?.master == Self.ctl3 && holders == ["ctl3"]
        }, "\(lab.vrrpDiagnostics())")
        #expect(try lab.vipStatus(Self.ctl1)?.dropped.isEmpty == true, "\(lab.vrrpDiagnostics())")
    }

    enum MasterLoss { case gracefulStop, powerLoss }

    /// The shared scenario. Every step checks the addresses in the namespaces (exactly one holder,
    /// steady for a while) and what each side says about itself.
    private func electionAndFailover(_ lab: Lab, _ flavour: Flavour, hactlMasterLoss: MasterLoss) throws {
        let diagnostics = { lab.vrrpDiagnostics() }

        // 1. hactl alone: ctl1 (150) over ctl2 (100).
        try lab.check([Lab.script, "start-agent", "ctl1"])
        try lab.check([Lab.script, "start-agent", "ctl2"])
        #expect(try lab.eventually(flavour.failover) { try lab.holders(of: Self.vip) == ["ctl1"] }, "\(diagnostics())")

        // 2. keepalived highest (200): it preempts; both agents follow it as backups.
        try lab.startKeepalived("ctl3", config: Self.keepalived(flavour, priority: 200), name: "high")
        #expect(try lab.eventually(flavour.failover) {
            try lab.holders(of: Self.vip) == ["ctl3"] && lab.keepalivedState("ctl3") == "MASTER"
        }, "\(diagnostics())")
        #expect(try lab.eventually {
            try [Self.ctl1, Self.ctl2].allSatisfy { let s = try lab.vipStatus($0); return s?.state == "backup" && s?.master == Self.ctl3 }
        }, "\(diagnostics())")
        #expect(try lab.holderDeviation(of: Self.vip, expected: ["ctl3"], for: flavour.steady) == nil, "\(diagnostics())")
        // Every packet keepalived sent was understood: neither agent dropped one.
        for address in [Self.ctl1, Self.ctl2] {
            let status = try lab.vipStatus(address)
            #expect((status?.advertsReceived ?? 0) > 0, "\(address): \(String(describing: status))")
            #expect(status?.dropped.isEmpty == true, "\(address) dropped \(String(describing: status?.dropped))")
        }

        // 3. keepalived master stops (SIGTERM: priority-0 advert): the best hactl node takes over.
        try lab.stopKeepalived("ctl3")
        #expect(try lab.eventually(flavour.failover) { try lab.holders(of: Self.vip) == ["ctl1"] }, "\(diagnostics())")
        #expect(try lab.vipStatus(Self.ctl1)?.state == "master")
        #expect(try lab.holderDeviation(of: Self.vip, expected: ["ctl1"], for: flavour.steady) == nil, "\(diagnostics())")

        if flavour.version == 3 {
            // 3b. keepalived master loses power (port down, then SIGKILL of its processes): the agents'
            // master-down timer, not a goodbye, moves the VIP. (keepalived itself sees the carrier go
            // and drops the VIP in FAULT before the SIGKILL lands, so ctl3 holds no stale address.)
            try lab.startKeepalived("ctl3", config: Self.keepalived(flavour, priority: 200), name: "high")
            #expect(try lab.eventually(flavour.failover) { try lab.holders(of: Self.vip) == ["ctl3"] }, "\(diagnostics())")
            try lab.check([Lab.script, "cut", "ctl3"])
            try lab.stopKeepalived("ctl3", signal: "KILL")
            #expect(try lab.eventually(flavour.failover) { try lab.holders(of: Self.vip, among: ["ctl1", "ctl2"]) == ["ctl1"] },
                    "\(diagnostics())")
            try lab.check([Lab.script, "heal", "ctl3"])
            // keepalived removes its own leftover at start (next step) and then, lowest, stays backup.
        }

        // 4. keepalived lowest (50): it joins as BACKUP; ctl1 stays master without a transition.
        let ctl1Before = try lab.vipStatus(Self.ctl1)?.lastTransition
        try lab.startKeepalived("ctl3", config: Self.keepalived(flavour, priority: 50), name: "low")
        #expect(try lab.eventually(flavour.failover) {
            try lab.holders(of: Self.vip) == ["ctl1"] && lab.keepalivedState("ctl3") == "BACKUP"
        }, "\(diagnostics())")
        #expect(try lab.holderDeviation(of: Self.vip, expected: ["ctl1"], for: flavour.steady * 2) == nil, "\(diagnostics())")
        #expect(lab.keepalivedState("ctl3") == "BACKUP", "\(diagnostics())")
        #expect(try lab.vipStatus(Self.ctl1)?.lastTransition == ctl1Before, "keepalived's arrival caused no transition")
        #expect(try lab.vipStatus(Self.ctl1)?.dropped.isEmpty == true, "\(diagnostics())")

        // 5. The hactl master goes away with no other agent left: keepalived takes over.
        try lab.check([Lab.script, "stop-agent", "ctl2"])
        switch hactlMasterLoss {
        case .gracefulStop:
            // SPEC: a graceful stop loses no packet of a client pinging the VIP, keepalived taking over too.
            let pinger = try ClientPinger.start(lab, address: Self.vip)
            Thread.sleep(forTimeInterval: 0.5)
            try lab.check([Lab.script, "stop-agent", "ctl1"])
            #expect(try lab.eventually(flavour.failover) {
                try lab.holders(of: Self.vip) == ["ctl3"] && lab.keepalivedState("ctl3") == "MASTER"
            }, "\(diagnostics())")
            Thread.sleep(forTimeInterval: 0.5)
            let ping = pinger.stop()
            #expect(ping.replies > 100 && ping.lost == 0 && ping.duplicates == 0, "\(ping)")
            #expect(try lab.holderDeviation(of: Self.vip, expected: ["ctl3"], for: flavour.steady) == nil, "\(diagnostics())")
        case .powerLoss:
            try lab.check([Lab.script, "cut", "ctl1"])
            try lab.check([Lab.script, "kill-agent", "ctl1"])
            #expect(try lab.eventually(flavour.failover) {
                try lab.holders(of: Self.vip, among: ["ctl2", "ctl3"]) == ["ctl3"] && lab.keepalivedState("ctl3") == "MASTER"
            }, "\(diagnostics())")
            #expect(try lab.addresses("ctl1").contains(Self.vip + "/24"), "SIGKILL leaves the agent's VIP behind")
            // 6. Power back: the agent removes its leftover VIP at start, then preempts keepalived (150 > 50).
            try lab.check([Lab.script, "heal", "ctl1"])
            try lab.check([Lab.script, "start-agent", "ctl1"])
            #expect(try lab.eventually(flavour.failover) {
                try lab.holders(of: Self.vip) == ["ctl1"] && lab.keepalivedState("ctl3") == "BACKUP"
            }, "\(diagnostics())")
            #expect(try lab.holderDeviation(of: Self.vip, expected: ["ctl1"], for: flavour.steady) == nil, "\(diagnostics())")
        }
    }
}
