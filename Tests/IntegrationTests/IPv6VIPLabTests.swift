import Foundation
import HACore
import Testing

/// Issue 11 item 7: IPv6 VIPs on IPv4 controllers, end to end. Every agent once crash-looped on a
/// precondition as soon as it became master of an IPv6 VIP (its adverts were encoded with the IPv4
/// controller address as source). Now IPv6 adverts come from the interface's link-local address
/// and are accepted from link-local senders (RFC 9568).
///
/// The lab runs with `LAB_IPV6=1` (lab.sh): IPv6 on the nodes' eth0 with their fe80:: link-locals,
/// the client at 2001:2::100/64. 2001:2::/48 is the IPv6 benchmarking range (RFC 5180), the
/// counterpart of 198.18.0.0/15, used only inside these namespaces. LAB_PREFIX "v2".
@Suite("IPv6 VIP in the lab", .serialized)
struct IPv6VIPLabTests {
    static let vip6 = "2001:2::10"

    static func config(ipv4: Bool) -> String {
        let public4 = """
              - name: public
                vrid: 51
                interface: eth0
                addresses: [198.18.0.10/24]
                priorities: { ctl1: 150, ctl2: 100, ctl3: 50 }

            """
        return """
            cluster:
              name: v6-it
              secret_file: cluster.key
            controllers:
              ctl1: { address: 198.18.0.11 }
              ctl2: { address: 198.18.0.12 }
              ctl3: { address: 198.18.0.13 }
            vips:
            \(ipv4 ? public4 : "")  - name: public6
                vrid: 51
                interface: eth0
                addresses: ["\(vip6)/64"]
                priorities: { ctl1: 150, ctl2: 100, ctl3: 50 }

            """
    }

    /// A lab with IPv6 on the nodes (link-local DAD finished when this returns).
    static func ipv6Lab(ipv4: Bool) throws -> Lab {
        let lab = try Lab.up(configBody: config(ipv4: ipv4), prefix: "v2", name: "v2-ipv6")
        do { try lab.check(["/usr/bin/env", "LAB_IPV6=1", Lab.script, "up"]) } catch {
            lab.down()
            throw error
        }
        return lab
    }

    @Test("config check accepts an IPv6 VIP on IPv4 controllers")
    func configCheck() throws {
        let lab = try Lab.up(configBody: Self.config(ipv4: true), prefix: "v2", name: "v2-ipv6")
        defer { lab.down() }
        let out = try lab.hactl(["config", "check"])
        #expect(out.code == 0, "\(out)")
    }

    @Test("IPv6 VIP on IPv4 controllers: election, ping -6, cable cut fails over, no agent crashes")
    func electionFailover() throws {
        let lab = try Self.ipv6Lab(ipv4: false)
        defer { lab.down() }
        try lab.agents()
        let pids = try lab.agentPIDs()
        #expect(try lab.eventually(.seconds(10)) { try lab.holders6() == ["ctl1"] && lab.vipState("ctl1", "public6") == "master" },
                "ctl1 (150) holds \(Self.vip6)")
        #expect(try lab.curl(["http://198.18.0.11:9780/health/vip/public6"]).code == 200)
        #expect(try lab.curl(["http://198.18.0.12:9780/health/vip/public6"]).code == 503)
        let status = try lab.hactl(["vip", "status"])
        #expect(status.code == 0, "one master, no fault: \(status)")
        // The backups hear the master from its link-local address, and drop nothing as `source`.
        let backup = try lab.vipJSON("ctl2", "public6")
        #expect((backup?["master"] as? String)?.hasPrefix("fe80:") == true, "\(backup ?? [:])")
        #expect((backup?["adverts_received"] as? Int ?? 0) > 0)
        #expect((backup?["dropped"] as? [String: Int])?["source"] == nil, "\(backup ?? [:])")
        #expect(try lab.ping6(), "the client reaches \(Self.vip6) on ctl1")

        try lab.check([Lab.script, "cut", "ctl1"])
        #expect(try lab.eventually(.seconds(5)) { try lab.vipState("ctl2", "public6") == "master" && lab.holders6() == ["ctl2"] },
                "ctl2 takes over; ctl1 (link down) gives the address up")
        #expect(try lab.eventually(.seconds(5)) { try lab.ping6() }, "the client reaches \(Self.vip6) on ctl2")
        #expect(try lab.vipState("ctl3", "public6") == "backup")

        try lab.check([Lab.script, "heal", "ctl1"])
        #expect(try lab.eventually(.seconds(10)) { try lab.holders6() == ["ctl1"] && lab.vipState("ctl1", "public6") == "master" },
                "ctl1 preempts when it returns")
        #expect(try lab.eventually(.seconds(5)) { try lab.ping6() })
        #expect(try lab.agentPIDs() == pids, "no agent restarted")
        try lab.expectNoCrash()
    }

    @Test("an IPv4 VIP and an IPv6 VIP (same VRID) on the same agents move together")
    func mixedFamilies() throws {
        let lab = try Self.ipv6Lab(ipv4: true)
        defer { lab.down() }
        try lab.agents()
        let pids = try lab.agentPIDs()
        #expect(try lab.eventually(.seconds(10)) {
            try lab.holders() == ["ctl1"] && lab.holders6() == ["ctl1"]
                && lab.vipState("ctl1", "public") == "master" && lab.vipState("ctl1", "public6") == "master"
        })
        #expect(try lab.curl(["http://198.18.0.11:9780/health/vip/public"]).code == 200)
        #expect(try lab.curl(["http://198.18.0.11:9780/health/vip/public6"]).code == 200)
        #expect(try lab.ping6())
        #expect(try lab.sh(["ip", "netns", "exec", lab.ns("client"), "ping", "-n", "-c", "1", "-W", "1", Lab.vipAddress]).code == 0)
        // Each VRRP instance keeps to its family: an IPv4 master and an IPv6 master, neither drops the other's adverts.
        let backup = try lab.vipJSON("ctl2", "public")
        #expect((backup?["master"] as? String) == "198.18.0.11")

        try lab.check([Lab.script, "cut", "ctl1"])
        #expect(try lab.eventually(.seconds(5)) {
            try lab.vipState("ctl2", "public") == "master" && lab.vipState("ctl2", "public6") == "master"
                && lab.holders() == ["ctl2"] && lab.holders6() == ["ctl2"]
        })
        #expect(try lab.eventually(.seconds(5)) { try lab.ping6() })
        try lab.check([Lab.script, "heal", "ctl1"])
        #expect(try lab.eventually(.seconds(10)) { try lab.holders() == ["ctl1"] && lab.holders6() == ["ctl1"] })
        #expect(try lab.agentPIDs() == pids, "no agent restarted")
        try lab.expectNoCrash()
    }

    @Test("no IPv6 on the interface: the IPv6 VIP waits in fault with the reason, the IPv4 VIP and the agents carry on")
    func noLinkLocal() throws {
        // A plain lab: lab.sh switches IPv6 off on every lab link, so there is no link-local address.
        let lab = try Lab.up(configBody: Self.config(ipv4: true), prefix: "v2", name: "v2-ipv6")
        defer { lab.down() }
        try lab.agents()
        let pids = try lab.agentPIDs()
        #expect(try lab.waitForMaster("ctl1"), "the IPv4 VIP is elected as usual")
        for node in ["ctl1", "ctl2", "ctl3"] {
            let json = try lab.vipJSON(node, "public6")
            #expect(json?["state"] as? String == "fault", "\(node): \(json ?? [:])")
            let reasons = json?["priority_reasons"] as? [String] ?? []
            #expect(reasons.contains { $0.contains("no IPv6 link-local address on eth0") }, "\(node): \(reasons)")
        }
        #expect(try lab.curl(["http://198.18.0.11:9780/metrics"]).body.contains("hactl_vrrp_source_unavailable_total{vip=\"public6\"}"))
        // IPv6 comes up: the link-locals finish DAD and the IPv6 VIP is elected without a restart.
        try lab.check(["/usr/bin/env", "LAB_IPV6=1", Lab.script, "up"])
        #expect(try lab.eventually(.seconds(10)) { try lab.holders6() == ["ctl1"] && lab.vipState("ctl1", "public6") == "master" })
        #expect(try lab.eventually(.seconds(5)) { try lab.ping6() })
        #expect(try lab.agentPIDs() == pids, "no agent restarted")
        try lab.expectNoCrash()
    }
}

extension Lab {
    /// The nodes whose eth0 carries the IPv6 VIP right now.
    func holders6(_ address: String = IPv6VIPLabTests.vip6) throws -> [String] {
        try ["ctl1", "ctl2", "ctl3"].filter { node in
            let out = try sh(["ip", "netns", "exec", ns(node), "ip", "-o", "-6", "addr", "show", "dev", "eth0"])
            return out.stdout.contains(" \(address)/")
        }
    }

    /// One `ping -6` from the client to the IPv6 VIP answered within a second.
    func ping6(_ address: String = IPv6VIPLabTests.vip6) throws -> Bool {
        try sh(["ip", "netns", "exec", ns("client"), "ping", "-6", "-n", "-c", "1", "-W", "1", address]).code == 0
    }

    /// Each agent's PID (lab.sh records them), failing when one is not running.
    func agentPIDs() throws -> [String: Int32] {
        var pids: [String: Int32] = [:]
        for node in ["ctl1", "ctl2", "ctl3"] {
            let text = try String(contentsOfFile: run + "/\(node)/agent.pid", encoding: .utf8)
            guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0 else {
                throw LabError.prerequisite("agent \(node) is not running (pid file: \(text))")
            }
            pids[node] = pid
        }
        return pids
    }

    /// No agent log mentions a trap.
    func expectNoCrash() throws {
        for node in ["ctl1", "ctl2", "ctl3"] {
            let log = (try? String(contentsOfFile: run + "/\(node)/agent.log", encoding: .utf8)) ?? ""
            #expect(!log.contains("Fatal error") && !log.contains("Precondition failed"), "\(node) log shows a trap")
        }
    }
}
