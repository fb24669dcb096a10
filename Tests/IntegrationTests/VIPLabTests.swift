import Foundation
import HACore
import Testing

/// VIPManager against three real agents in the lab, a client pinging the VIP.
@Suite("VIP in the lab", .serialized)
struct VIPLabTests {
    /// Namespace prefix of these labs (lab.sh `LAB_PREFIX`), apart from the other suites' labs.
    static let prefix = "v1"

    @Test("election by priority; cable cut fails over; the master returns and preempts")
    func electionFailoverPreempt() throws {
        let lab = try Lab.up(configBody: Lab.vipConfig(), prefix: VIPLabTests.prefix, name: "vip")
        defer { lab.down() }
        try lab.agents()
        #expect(try lab.waitForMaster("ctl1"), "ctl1 (priority 150) is elected")
        #expect(try lab.hactl(["vip", "status"]).code == 0)
        #expect(try lab.curl(["http://198.18.0.11:9780/health/vip/public"]).code == 200)
        #expect(try lab.curl(["http://198.18.0.12:9780/health/vip/public"]).code == 503)
        #expect(try lab.curl(["http://198.18.0.12:9780/health/vip/nope"]).code == 404)
        #expect(try lab.curl(["http://198.18.0.11:9780/metrics"]).body.contains("hactl_vrrp_transitions_total{vip=\"public\",to=\"master\"} 1"))

        try lab.check([Lab.script, "cut", "ctl1"])
        #expect(try lab.eventually(.seconds(3)) { try lab.vipState("ctl2") == "master" }, "ctl2 takes over")
        // ctl1 cannot be reached, and sees its link down: it gives the address up (fault).
        #expect(try lab.eventually(.seconds(3)) {
            try !lab.sh(["ip", "netns", "exec", lab.ns("ctl1"), "ip", "-o", "-4", "addr", "show", "dev", "eth0"]).stdout.contains("198.18.0.10/")
        })
        try lab.check([Lab.script, "heal", "ctl1"])
        #expect(try lab.waitForMaster("ctl1"), "ctl1 preempts when it returns")
        #expect(try lab.holders() == ["ctl1"])
    }

    @Test("unicast adverts: election and failover without multicast")
    func unicast() throws {
        let lab = try Lab.up(configBody: Lab.vipConfig().replacingOccurrences(of: "    preempt: true", with: "    preempt: true\n    unicast: true"), prefix: VIPLabTests.prefix, name: "vip")
        defer { lab.down() }
        try lab.agents()
        #expect(try lab.waitForMaster("ctl1"))
        let received = try lab.vipJSON("ctl2")?["adverts_received"] as? Int ?? 0
        #expect(received > 0)
        try lab.check([Lab.script, "cut", "ctl1"])
        #expect(try lab.eventually(.seconds(3)) { try lab.vipState("ctl2") == "master" })
        try lab.check([Lab.script, "heal", "ctl1"])
        #expect(try lab.waitForMaster("ctl1"))
    }

    @Test("preempt: false keeps the new master when the old one returns")
    func noPreempt() throws {
        let lab = try Lab.up(configBody: Lab.vipConfig(preempt: false), prefix: VIPLabTests.prefix, name: "vip")
        defer { lab.down() }
        // Without preemption the first agent up keeps the VIP: start ctl1 first, so the test does
        // not depend on how fast three agents start on a loaded machine.
        try lab.check([Lab.script, "start-agent", "ctl1"])
        #expect(try lab.waitForMaster("ctl1"))
        try lab.check([Lab.script, "start-agent", "ctl2"])
        try lab.check([Lab.script, "start-agent", "ctl3"])
        #expect(try lab.eventually(.seconds(3)) { try lab.vipState("ctl2") == "backup" && lab.vipState("ctl3") == "backup" })
        #expect(try lab.holders() == ["ctl1"])
        try lab.check([Lab.script, "cut", "ctl1"])
        #expect(try lab.eventually(.seconds(3)) { try lab.vipState("ctl2") == "master" })
        try lab.check([Lab.script, "heal", "ctl1"])
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try lab.holders() == ["ctl2"])
        #expect(try lab.vipState("ctl1") == "backup")
        // ctl1 saw the cut as a link fault (netlink event), whatever its length.
        let log = try String(contentsOfFile: lab.run + "/ctl1/agent.log", encoding: .utf8)
        #expect(log.contains("link down") && log.contains("link up"))
    }

    @Test("a cable flap of a few ms on the master is seen (fault) and leaves exactly one master")
    func shortFlap() throws {
        let lab = try Lab.up(configBody: Lab.vipConfig(preempt: false), prefix: VIPLabTests.prefix, name: "vip")
        defer { lab.down() }
        try lab.check([Lab.script, "start-agent", "ctl1"])
        #expect(try lab.waitForMaster("ctl1"))
        try lab.check([Lab.script, "start-agent", "ctl2"])
        try lab.check([Lab.script, "start-agent", "ctl3"])
        #expect(try lab.eventually(.seconds(3)) { try lab.vipState("ctl2") == "backup" && lab.vipState("ctl3") == "backup" })
        // Down and up in one shell: a few ms, far below any poll interval. ctl1 must see it as a link
        // fault (released, back as Backup); who wins the Master_Down race after it is up to the timers
        // (RFC 5798), but exactly one node must hold the VIP.
        let flap = try lab.sh(["ip", "netns", "exec", lab.ns("labsw"), "sh", "-c",
                               "ip link set p-ctl1 down && ip link set p-ctl1 up"])
        #expect(flap.code == 0, "\(flap)")
        #expect(try lab.eventually(.seconds(3)) {
            let log = try String(contentsOfFile: lab.run + "/ctl1/agent.log", encoding: .utf8)
            return log.contains("link down") && log.contains("link up")
        }, "ctl1 saw the flap")
        Thread.sleep(forTimeInterval: 1.5)
        let holders = try lab.holders()
        #expect(holders.count == 1, "holders: \(holders)")
        let states = try ["ctl1", "ctl2", "ctl3"].map { try lab.vipState($0) }
        #expect(states.filter { $0 == "master" }.count == 1 && states.filter { $0 == "backup" }.count == 2, "\(states)")
        if let holder = holders.first { #expect(try lab.vipState(holder) == "master") }
    }

    @Test("SIGKILL of the master, then restart: exactly one node holds the VIP")
    func killAndRestart() throws {
        let lab = try Lab.up(configBody: Lab.vipConfig(), prefix: VIPLabTests.prefix, name: "vip")
        defer { lab.down() }
        try lab.agents()
        #expect(try lab.waitForMaster("ctl1"))
        try lab.check([Lab.script, "kill-agent", "ctl1"])
        // The killed agent left the address behind (nobody removed it), and ctl2 took over.
        #expect(try lab.eventually(.seconds(3)) { try lab.vipState("ctl2") == "master" })
        try lab.check([Lab.script, "start-agent", "ctl1"])
        #expect(try lab.waitForMaster("ctl1"))
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try lab.holders() == ["ctl1"])
        let log = try String(contentsOfFile: lab.run + "/ctl1/agent.log", encoding: .utf8)
        #expect(log.contains("removed a VIP address left by a previous run"))
    }

    @Test("graceful stop (SIGTERM) and hactl vip handover lose no ping")
    func lossFreeStopAndHandover() throws {
        let lab = try Lab.up(configBody: Lab.vipConfig(), prefix: VIPLabTests.prefix, name: "vip")
        defer { lab.down() }
        try lab.agents()
        #expect(try lab.waitForMaster("ctl1"))

        var ping = try lab.startPing(count: 1000)
        Thread.sleep(forTimeInterval: 0.4)
        let handover = try lab.hactl(["vip", "handover", "public", "--to", "ctl3"])
        #expect(handover.code == 0, "\(handover)")
        var result = ping.finish()
        #expect(result.sent == 1000 && result.received == 1000, "handover: \(result)")
        #expect(try lab.eventually(.seconds(2)) { try lab.holders() == ["ctl3"] })
        #expect(try lab.vipState("ctl1") == "backup")

        ping = try lab.startPing(count: 1000)
        Thread.sleep(forTimeInterval: 0.4)
        try lab.check([Lab.script, "stop-agent", "ctl3"])
        result = ping.finish()
        #expect(result.sent == 1000 && result.received == 1000, "SIGTERM: \(result)")
        #expect(try lab.holders() == ["ctl1"], "the highest-priority peer took over")
    }

    @Test("a failing tracked check gives the VIP away and takes it back when it recovers")
    func trackedCheck() throws {
        let config = Lab.vipConfig(track: "    track: { backend: -60 }",
                                   checks: "checks:\n  backend: { tcp: 127.0.0.1:8399, interval: 200ms, timeout: 100ms, rise: 1, fall: 1 }")
        let lab = try Lab.up(configBody: config, prefix: VIPLabTests.prefix, name: "vip")
        defer { lab.down() }
        // The backend runs in every controller namespace; ctl1's is stopped and started again.
        var backends: [String: pid_t] = [:]
        func startBackend(_ node: String) throws {
            backends[node] = try lab.spawn(["ip", "netns", "exec", lab.ns(node), "python3", "-m", "http.server", "8399", "--bind", "127.0.0.1"],
                                           output: lab.run + "/backend-\(node).log")
        }
        defer { for pid in backends.values { kill(pid, SIGTERM); _ = Subprocess.wait(pid) } }
        for node in ["ctl1", "ctl2", "ctl3"] { try startBackend(node) }
        try lab.agents()
        #expect(try lab.waitForMaster("ctl1"))

        let pid = backends.removeValue(forKey: "ctl1")!
        kill(pid, SIGTERM); _ = Subprocess.wait(pid)
        #expect(try lab.waitForMaster("ctl2"), "150-60 = 90 < 100: ctl2 preempts")
        let json = try lab.vipJSON("ctl1")
        #expect(json?["priority"] as? Int == 90)

        try startBackend("ctl1")
        #expect(try lab.waitForMaster("ctl1"), "back to 150: ctl1 preempts")
    }

    @Test("drain gives the VIP away without loss and keeps the node at the bottom; resume takes it back")
    func drainResume() throws {
        let lab = try Lab.up(configBody: Lab.vipConfig(), prefix: VIPLabTests.prefix, name: "vip")
        defer { lab.down() }
        try lab.agents()
        #expect(try lab.waitForMaster("ctl1"))
        let ping = try lab.startPing(count: 1000)
        Thread.sleep(forTimeInterval: 0.4)
        let drain = try lab.hactl(["node", "drain", "ctl1"])
        #expect(drain.code == 0 && drain.stdout.contains("handed over public"), "\(drain)")
        let result = ping.finish()
        #expect(result.sent == 1000 && result.received == 1000, "drain: \(result)")
        #expect(try lab.eventually(.seconds(2)) { try lab.holders() == ["ctl2"] })
        #expect(try lab.vipJSON("ctl1")?["priority"] as? Int == 1)
        // Still at the bottom after a restart: the drain is persisted.
        try lab.check([Lab.script, "stop-agent", "ctl1"])
        try lab.check([Lab.script, "start-agent", "ctl1"])
        Thread.sleep(forTimeInterval: 1)
        #expect(try lab.holders() == ["ctl2"])
        #expect(try lab.hactl(["node", "resume", "ctl1"]).code == 0)
        #expect(try lab.waitForMaster("ctl1"))
    }

    @Test("garbage at the VRRP socket is dropped and counted; nobody changes state")
    func garbageIsDropped() throws {
        let lab = try Lab.up(configBody: Lab.vipConfig(), prefix: VIPLabTests.prefix, name: "vip")
        defer { lab.down() }
        try lab.agents()
        #expect(try lab.waitForMaster("ctl1"))
        let before = try lab.vipJSON("ctl2")
        // 2000 datagrams of protocol 112 from the client (not a controller): random bytes, and
        // well-formed adverts with TTL 64, a bad checksum, a foreign VRID and priority 255.
        let script = """
        import os, random, socket, struct
        random.seed(7)
        def csum(b):
            if len(b) % 2: b += b'\\0'
            s = sum(struct.unpack('!%dH' % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
            return (~s) & 0xffff
        def advert(vrid, prio, bad=False):
            body = struct.pack('!BBBBHH', 0x31, vrid, prio, 1, 10, 0) + socket.inet_aton('198.18.0.10')
            pseudo = socket.inet_aton('198.18.0.100') + socket.inet_aton('224.0.0.18') + struct.pack('!BBH', 0, 112, len(body))
            c = csum(pseudo + body) ^ (0x1234 if bad else 0)
            return body[:6] + struct.pack('!H', c) + body[8:]
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'eth0')
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
        for i in range(500):
            s.sendto(os.urandom(random.randint(0, 80)), ('224.0.0.18', 0))
            s.sendto(advert(51, 255, bad=True), ('224.0.0.18', 0))
            s.sendto(advert(77, 255), ('224.0.0.18', 0))
            s.sendto(advert(51, 255), ('224.0.0.18', 0))   # valid but from a non-controller
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 64)
        for i in range(100):
            s.sendto(advert(51, 255), ('224.0.0.18', 0))
        """
        try script.write(toFile: lab.run + "/garbage.py", atomically: true, encoding: .utf8)
        try lab.check(["ip", "netns", "exec", lab.ns("client"), "python3", lab.run + "/garbage.py"])
        Thread.sleep(forTimeInterval: 0.5)
        let after = try lab.vipJSON("ctl2")
        let dropped = after?["dropped"] as? [String: Int] ?? [:]
        let total = dropped.values.reduce(0, +) - ((before?["dropped"] as? [String: Int])?.values.reduce(0, +) ?? 0)
        #expect(total >= 2000, "dropped: \(dropped)")
        #expect((dropped["source"] ?? 0) >= 500, "valid adverts from a non-controller: \(dropped)")
        #expect((dropped["vrid"] ?? 0) >= 500)
        #expect((dropped["checksum"] ?? 0) + (dropped["source"] ?? 0) >= 1000)
        #expect(try lab.holders() == ["ctl1"])
        #expect(try lab.vipState("ctl1") == "master")
        #expect(try lab.vipState("ctl2") == "backup")
        #expect(try lab.vipState("ctl3") == "backup")
    }
}
