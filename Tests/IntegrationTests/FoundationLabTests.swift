import Foundation
import Testing

/// The foundation issue's acceptance, against three real agents in the lab's namespaces.
/// Serialized: every test owns the lab while it runs.
@Suite("Three agents in the lab", .serialized)
struct FoundationLabTests {
    @Test("status lists all three; drain/resume flips agent-check and /health/node; stopped agent -> exit 4")
    func statusDrainResumeAndUnreachable() throws {
        let lab = try Lab.up()
        defer { lab.down() }
        try lab.agents()

        // Every controller listed and healthy once the self-check has passed.
        var status = try lab.hactl(["status", "--json"])
        #expect(try lab.eventually { status = try lab.hactl(["status", "--json"]); return status.code == 0 }, "\(status)")
        let report = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let nodes = (report?["controllers"] as? [[String: Any]])?.compactMap { $0["node"] as? String }
        #expect(nodes == ["ctl1", "ctl2", "ctl3"])
        #expect((report?["controllers"] as? [[String: Any]])?.allSatisfy { $0["reachable"] as? Bool == true } == true)
        let table = try lab.hactl(["status"])
        #expect(table.code == 0)
        for node in ["ctl1", "ctl2", "ctl3"] { #expect(table.stdout.contains(node)) }

        // Drain ctl2: HAProxy's two views turn.
        #expect(try lab.agentCheck("198.18.0.12", "node") == "up")
        let drain = try lab.hactl(["node", "drain", "ctl2"])
        #expect(drain.code == 0, "\(drain)")
        #expect(try lab.agentCheck("198.18.0.12", "node") == "drain")
        #expect(try lab.curl(["http://198.18.0.12:9780/health/node"]).code == 503)
        #expect(try lab.agentCheck("198.18.0.11", "node") == "up")
        let degraded = try lab.hactl(["status"])
        #expect(degraded.code == 3, "\(degraded)")
        #expect(degraded.stdout.contains("ctl2 drained"))

        // The drain survives an agent restart (state directory).
        try lab.check([Lab.script, "stop-agent", "ctl2"])
        try lab.check([Lab.script, "start-agent", "ctl2"])
        #expect(try lab.agentCheck("198.18.0.12", "node") == "drain")

        let resume = try lab.hactl(["node", "resume", "ctl2"])
        #expect(resume.code == 0, "\(resume)")
        #expect(try lab.agentCheck("198.18.0.12", "node") == "up")
        #expect(try lab.curl(["http://198.18.0.12:9780/health/node"]).code == 200)
        #expect(try lab.agentCheck("198.18.0.12", "nonsense") == "down #unknown service")

        // One agent down: exit 4, the others still shown.
        try lab.check([Lab.script, "stop-agent", "ctl3"])
        let partial = try lab.hactl(["status"])
        #expect(partial.code == 4, "\(partial)")
        #expect(partial.stdout.contains("ctl1") && partial.stdout.contains("ctl2"))
        #expect(partial.stdout.contains("unreachable"))
        let partialJSON = try lab.hactl(["status", "--json"])
        #expect(partialJSON.code == 4)
        #expect(partialJSON.stdout.contains("\"reachable\" : false"))
    }

    @Test("unsigned, tampered and wrong-secret admin calls get 401; the agent keeps serving")
    func adminCallsNeedTheClusterSecret() throws {
        let lab = try Lab.up()
        defer { lab.down() }
        try lab.agents()
        for path in ["/v1/node/drain", "/v1/does/not/exist", "/v1"] {
            let r = try lab.curl(["-X", "POST", "http://198.18.0.11:9780\(path)"])
            #expect(r.code == 401, "\(path): \(r)")
        }
        let forged = try lab.curl(["-X", "POST", "-H",
                                   "Authorization: HACTL-HMAC-SHA256 t=\(Int(Date().timeIntervalSince1970)),n=0011223344556677,s=\(String(repeating: "ab", count: 32))",
                                   "http://198.18.0.11:9780/v1/node/drain"])
        #expect(forged.code == 401)
        #expect(forged.body.contains("bad signature"))
        // A client holding another secret is refused, and nothing changed.
        try "another-secret-0123456789abcdef0123456789abcdef\n".write(toFile: lab.run + "/wrong.key", atomically: true, encoding: .utf8)
        chmod(lab.run + "/wrong.key", 0o600)
        let wrongConfig = try String(contentsOfFile: lab.config, encoding: .utf8)
            .replacingOccurrences(of: "secret_file: cluster.key", with: "secret_file: wrong.key")
        try wrongConfig.write(toFile: lab.run + "/wrong.yaml", atomically: true, encoding: .utf8)
        let refused = try lab.sh(["ip", "netns", "exec", lab.ns("client"), Lab.hactl, "node", "drain", "ctl1", "--config", lab.run + "/wrong.yaml"])
        #expect(refused.code == 1, "\(refused)")
        #expect(refused.stderr.contains("bad signature"))
        #expect(try lab.agentCheck("198.18.0.11", "node") == "up")
        let metrics = try lab.curl(["http://198.18.0.11:9780/metrics"])
        #expect(metrics.body.contains("hactl_api_auth_failures_total{reason=\"missing\"} 3"))
        #expect(metrics.body.contains("hactl_api_auth_failures_total{reason=\"bad_signature\"} 2"))
    }

    @Test("SIGHUP applies a valid config and keeps the old one when the new one is invalid")
    func sighupReload() throws {
        let lab = try Lab.up()
        defer { lab.down() }
        try lab.agents()
        let pid = try String(contentsOfFile: lab.run + "/ctl1/agent.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let original = try String(contentsOfFile: lab.config, encoding: .utf8)

        try (original + "  api_self: { http: \"http://127.0.0.1:9780/health/node\", interval: 500ms, timeout: 300ms, rise: 1, fall: 1 }\n")
            .write(toFile: lab.config, atomically: true, encoding: .utf8)
        try lab.check(["kill", "-HUP", pid])
        #expect(try lab.eventually {
            let s = try lab.curl(["http://198.18.0.11:9780/v1/status"]).body
            return s.contains("\"api_self\"") && s.contains("\"passing\"")
        })

        try (original + "  broken: { tcp: 999.1.1.1:80 }\n").write(toFile: lab.config, atomically: true, encoding: .utf8)
        try lab.check(["kill", "-HUP", pid])
        #expect(try lab.eventually {
            (try? String(contentsOfFile: lab.run + "/ctl1/agent.log", encoding: .utf8))?.contains("config reload rejected") == true
        })
        let after = try lab.curl(["http://198.18.0.11:9780/v1/status"])
        #expect(after.code == 200)
        #expect(after.body.contains("\"api_self\""))
        #expect(!after.body.contains("\"broken\""))
        #expect(kill(pid_t(pid) ?? 0, 0) == 0, "the agent kept running")
    }
}
