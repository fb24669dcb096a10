import Foundation
import HACore
import Testing

/// GaleraProbe against a real three-node MariaDB 10.11 + galera-4 cluster in the lab, HAProxy in the
/// client namespace checking `/health/galera` and `/health/galera/writer`.
@Suite("Galera in the lab", .serialized)
struct GaleraLabTests {
    static let nodes = ["ctl1", "ctl2", "ctl3"]

    @Test("node states drive the endpoints; one writer; a hung server is out within timeout and the writer moves; two killed leave the third non-Primary")
    func endpointsFollowTheServers() throws {
        let lab = try Lab.galeraUp()
        defer { lab.down() }

        // Synced: 200 everywhere, exactly one writer, and the agents agree on it.
        #expect(try lab.eventually(.seconds(15)) {
            try Self.nodes.allSatisfy { try lab.galeraHealth($0).code == 200 } && lab.writers() == ["ctl1"]
        }, "all Synced and ctl1 the writer")
        let status = try lab.hactl(["galera", "status"])
        #expect(status.code == 0, "\(status)")
        #expect(status.stdout.contains("writer: ctl1"))
        #expect(try lab.agentCheck("198.18.0.12", "galera") == "up")
        #expect(try lab.agentCheck("198.18.0.12", "galera-writer").hasPrefix("down #not the designated writer"))
        #expect(try lab.eventually(.seconds(10)) { try lab.writeThroughHAProxy("synced") }, "writes flow through HAProxy")

        // Each refusal state turns only that node's endpoint to 503, with its reason; undone, it is back.
        for (node, set, reset, reason) in [
            ("ctl2", "SET GLOBAL wsrep_desync=ON", "SET GLOBAL wsrep_desync=OFF", "donor/desynced"),
            ("ctl3", "SET GLOBAL wsrep_reject_queries=ALL", "SET GLOBAL wsrep_reject_queries=NONE", "rejecting queries"),
            ("ctl2", "SET GLOBAL read_only=ON", "SET GLOBAL read_only=OFF", "read-only"),
        ] {
            try lab.sql(node, set)
            #expect(try lab.eventually(.seconds(4)) { try lab.galeraHealth(node).code == 503 }, "\(set) on \(node) -> 503")
            let body = try lab.galeraHealth(node).body
            #expect(body.contains(reason), "\(set): reason \(body)")
            #expect(try lab.galeraHealth(node == "ctl2" ? "ctl3" : "ctl2").code == 200, "the other nodes stay 200")
            try lab.sql(node, reset)
            #expect(try lab.eventually(.seconds(4)) { try lab.galeraHealth(node).code == 200 }, "\(reset) on \(node) -> 200")
        }

        // A hung writer: 503 within `timeout` (2s) of the stop, endpoints answer at once, the writer
        // moves and writes go on through HAProxy.
        try lab.check([Lab.script, "galera-signal", "ctl1", "STOP"])
        let stopped = ContinuousClock.now
        #expect(try lab.eventually(.seconds(5)) { try lab.galeraHealth("ctl1").code == 503 })
        let detection = ContinuousClock.now - stopped
        #expect(detection < .milliseconds(2600), "503 within timeout after SIGSTOP (took \(detection))")
        let latencies = try (0..<20).map { _ in try lab.endpointLatencyMs("ctl1") }
        #expect(latencies.max()! < 100, "endpoint latency while the server hangs: \(latencies)")
        print("galera lab: SIGSTOP -> 503 in \(detection); endpoint latency while hung max \(latencies.max()!) ms")
        #expect(try lab.galeraHealth("ctl1").body.contains("probe timeout after 2s"))
        #expect(try lab.eventually(.seconds(5)) { try lab.writers() == ["ctl2"] }, "the writer moves to ctl2")
        #expect(try lab.eventually(.seconds(10)) { try lab.writeThroughHAProxy("ctl1-hung") }, "writes go on through HAProxy")
        // Continued, ctl1 rejoins (Galera may take the whole cluster non-Primary for a few seconds
        // meanwhile); the writer returns to ctl1 after the hold-down, and at no poll are there two.
        try lab.check([Lab.script, "galera-signal", "ctl1", "CONT"])
        var mostWriters = 0
        #expect(try lab.eventually(.seconds(40)) {
            let now = try lab.writers()
            mostWriters = max(mostWriters, now.count)
            return try now == ["ctl1"] && lab.galeraHealth("ctl1").code == 200
        }, "back to ctl1 after the 5s hold-down")
        #expect(mostWriters <= 1, "never two writers")

        // read_only passes where the config allows it (ctl2's agent restarted with the allowance).
        try Lab.galeraConfig(extra: "").replacingOccurrences(of: "  timeout: 2s\n", with: "  timeout: 2s\n  available_when_readonly: true\n")
            .write(toFile: lab.config, atomically: true, encoding: .utf8)
        try lab.check([Lab.script, "stop-agent", "ctl2"])
        try lab.check([Lab.script, "start-agent", "ctl2"])
        try lab.sql("ctl2", "SET GLOBAL read_only=ON")
        #expect(try lab.eventually(.seconds(5)) { try lab.galeraHealth("ctl2").code == 200 }, "read_only allowed -> 200")
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try lab.galeraHealth("ctl2").code == 200, "still 200 with read_only=ON")
        try lab.sql("ctl2", "SET GLOBAL read_only=OFF")

        // node drain moves the writer to the next node without leaving the writer backend empty for
        // long, never two writers; resume brings it back (ctl1 has passed all along: no hold-down).
        #expect(try lab.eventually(.seconds(15)) { try lab.writers() == ["ctl1"] }, "ctl1 the writer before the drain")
        #expect(try lab.hactl(["node", "drain", "ctl1"]).code == 0)
        let drained = ContinuousClock.now
        var mostDuringDrain = 0
        #expect(try lab.eventually(.seconds(10)) {
            let now = try lab.writers()
            mostDuringDrain = max(mostDuringDrain, now.count)
            return now == ["ctl2"]
        }, "drain moves the writer to ctl2")
        print("galera lab: node drain -> writer on ctl2 in \(ContinuousClock.now - drained)")
        #expect(mostDuringDrain <= 1, "never two writers during the drain")
        #expect(try lab.galeraHealth("ctl1", writer: true).body.contains("drained"))
        #expect(try lab.eventually(.seconds(10)) { try lab.writeThroughHAProxy("ctl1-drained") }, "writes go on through HAProxy")
        #expect(try lab.hactl(["node", "resume", "ctl1"]).code == 0)
        #expect(try lab.eventually(.seconds(10)) { try lab.writers() == ["ctl1"] }, "resume: back to ctl1")

        // kill -9 of two nodes: the survivor has lost quorum. It may read Primary (view 3) until the
        // EVS suspect timeout, but its peers' agents report their servers down: it is not the writer
        // within a round or two of their probes, before it turns non-Primary.
        try lab.check([Lab.script, "galera-signal", "ctl2", "KILL"])
        try lab.check([Lab.script, "galera-signal", "ctl3", "KILL"])
        let killed = ContinuousClock.now
        #expect(try lab.eventually(.seconds(5)) { try lab.writers().isEmpty }, "no writer soon after the kill")
        print("galera lab: two killed -> no writer in \(ContinuousClock.now - killed); ctl1 says \(try lab.galeraHealth("ctl1").body)")
        var writersAfterKill: Set<String> = []
        #expect(try lab.eventually(.seconds(40)) {
            writersAfterKill.formUnion(try lab.writers())
            return try lab.galeraHealth("ctl1").body.contains("non-Primary")
        }, "ctl1 reports non-Primary")
        #expect(writersAfterKill.isEmpty, "no writer at any poll while ctl1 still read Primary: \(writersAfterKill)")
        #expect(try lab.galeraHealth("ctl1").code == 503)
        #expect(try lab.writers().isEmpty)
        #expect(try lab.hactl(["galera", "status"]).code == 3)
    }

    @Test("full outage: `hactl galera recover --apply` bootstraps from the most advanced node; no committed write is lost")
    func fullOutageRecovery() throws {
        let lab = try Lab.galeraUp()
        defer { lab.down() }
        #expect(try lab.eventually(.seconds(15)) { try lab.writers() == ["ctl1"] })
        #expect(try lab.eventually(.seconds(10)) { try lab.writeThroughHAProxy("first") })
        var committed = 1
        for i in 0..<20 where try lab.writeThroughHAProxy("before-\(i)") { committed += 1 }

        // ctl1 stops cleanly (its grastate keeps an older seqno); the writer moves; more writes.
        try lab.check([Lab.script, "galera-stop", "ctl1"])
        #expect(try lab.eventually(.seconds(8)) { try lab.writers() == ["ctl2"] })
        #expect(try lab.eventually(.seconds(10)) { try lab.writeThroughHAProxy("after-first") })
        committed += 1
        for i in 0..<20 where try lab.writeThroughHAProxy("after-\(i)") { committed += 1 }
        #expect(try lab.rowCount("ctl2") >= committed)

        // Power loss of the rest: ctl3 first (ctl2 loses quorum), then ctl2.
        try lab.check([Lab.script, "galera-signal", "ctl3", "KILL"])
        try lab.check([Lab.script, "galera-signal", "ctl2", "KILL"])
        #expect(try lab.eventually(.seconds(8)) { try Self.nodes.allSatisfy { try lab.galeraHealth($0).body.hasPrefix("connect:") } })

        // The plan: ctl2 and ctl3 are ahead of ctl1; ctl2 wins the tie by config order.
        // A killed mariadbd may take a moment to exit (in-flight I/O); until then it still holds its
        // datadir lock and counts as running, and recover refuses. Poll, bounded.
        var plan = try lab.hactl(["galera", "recover"])
        _ = try lab.eventually(.seconds(30)) {
            plan = try lab.hactl(["galera", "recover"])
            return plan.code == 0
        }
        #expect(plan.code == 0, "\(plan)")
        if plan.code != 0 {
            // Who still holds the datadirs (the agents decide "running" from the datadir lock, pid files, socket).
            let diag = try lab.sh(["sh", "-c", "cat /proc/locks; ps -eo pid,ppid,stat,comm,args | grep -E 'mariadbd|rsync|wsrep' | grep -v grep"])
            print("galera lab: recover refused; locks and processes:\n\(diag.stdout)")
        }
        #expect(plan.stdout.contains("plan: bootstrap ctl2 (highest seqno), then start ctl1, ctl3"), "\(plan.stdout)")
        #expect(plan.stdout.contains("wsrep-recover"), "crashed nodes were asked with --wsrep-recover")

        print("galera lab: recover plan:\n\(plan.stdout)")
        let started = ContinuousClock.now
        let applied = try lab.hactl(["galera", "recover", "--apply", "--wait", "120"])
        print("galera lab: recover --apply took \(ContinuousClock.now - started):\n\(applied.stdout)")
        #expect(applied.code == 0, "\(applied)")
        #expect(try lab.eventually(.seconds(15)) { try Self.nodes.allSatisfy { try lab.galeraHealth($0).code == 200 } })
        let counts = try Self.nodes.map { try lab.rowCount($0) }
        #expect(Set(counts).count == 1 && counts[0] >= committed, "every node has every committed write (\(committed)): \(counts)")
        #expect(try lab.eventually(.seconds(15)) { try lab.writers().count == 1 })
        // A cluster that runs is never "recovered" again.
        let again = try lab.hactl(["galera", "recover"])
        #expect(again.code == 1)
        #expect(again.stdout.contains("not a full outage"))
    }
}
