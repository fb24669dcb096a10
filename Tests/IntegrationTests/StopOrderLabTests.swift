import Foundation
import HACore
import Synchronization
import Testing

/// Issue 11 item 6: on SIGTERM the VIPs are handed over first, all at once and bounded; after a
/// SIGKILL, `hactl vip cleanup` (the unit's ExecStopPost) removes what was left on the interface.
@Suite("Agent stop order in the lab", .serialized)
struct StopOrderLabTests {
    static let config = """
        cluster:
          name: vip-it
          secret_file: cluster.key
        controllers:
          ctl1: { address: 198.18.0.11 }
          ctl2: { address: 198.18.0.12 }
          ctl3: { address: 198.18.0.13 }
        vips:
          - name: public
            vrid: 51
            interface: eth0
            addresses: [198.18.0.10/24]
            priorities: { ctl1: 150, ctl2: 100, ctl3: 50 }
          - name: internal
            vrid: 52
            interface: eth0
            addresses: [198.18.0.9/24]
            priorities: { ctl1: 150, ctl2: 100, ctl3: 50 }

        """

    @Test("SIGTERM hands both VIPs over at once and promptly; SIGKILL leaves them, vip cleanup removes them")
    func stopOrderAndCleanup() throws {
        let lab = try Lab.up(configBody: Self.config, prefix: "b3", name: "b3-stop")
        defer { lab.down() }
        try lab.agents()
        #expect(try lab.eventually { try lab.holders("198.18.0.10") == ["ctl1"] && lab.holders("198.18.0.9") == ["ctl1"] })

        // A slow, validly signed admin call in flight (its body trickles for up to 15 s): before the
        // fix the HTTP drain waited for it before the handover started.
        let signer = try RequestSigner(secretFile: lab.run + "/cluster.key")
        let body = [UInt8](repeating: 0x20, count: 2_000)
        let auth = signer.sign(method: "POST", path: "/v1/node/resume", body: body, node: "ctl1", cluster: "vip-it",
                               unixTime: Int64(Date().timeIntervalSince1970))
        let slowEnded = Mutex<Duration?>(nil)
        let slowStarted = DispatchSemaphore(value: 0)
        NamespaceThread.start(in: lab.ns("client")) { entered in
            guard entered, let fd = try? RawSocket.connect("198.18.0.11", 9780) else { slowStarted.signal(); return }
            defer { close(fd) }
            RawSocket.send(fd, "POST /v1/node/resume HTTP/1.1\r\nHost: x\r\nAuthorization: \(auth)\r\nContent-Length: \(body.count)\r\n\r\n  ")
            slowStarted.signal()
            let began = ContinuousClock.now
            for _ in 0..<50 where RawSocket.isOpen(fd) {  // bounded: 50 x 300 ms
                RawSocket.send(fd, " ")
                Thread.sleep(forTimeInterval: 0.3)
            }
            slowEnded.withLock { $0 = ContinuousClock.now - began }
        }
        slowStarted.wait()
        Thread.sleep(forTimeInterval: 0.3)

        // SIGTERM: both VIPs handed to ctl2 concurrently, the agent gone well within the unit's timeout.
        let start = ContinuousClock.now
        try lab.check([Lab.script, "stop-agent", "ctl1"])
        let took = ContinuousClock.now - start
        print("stop-order: SIGTERM to exit with two VIPs: \(took)")
        #expect(took < .seconds(6), "stop took \(took): the slow request held the stop")
        #expect(try lab.holders("198.18.0.10") == ["ctl2"])
        #expect(try lab.holders("198.18.0.9") == ["ctl2"])
        let log = try String(contentsOfFile: lab.run + "/ctl1/agent.log", encoding: .utf8)
        let handed = log.split(separator: "\n").filter { $0.contains("VIP handed over") && $0.contains("vip.to=ctl2") }
        #expect(handed.count == 2, "\(handed)")
        // Concurrent: both handovers finished within one release timeout of each other, not one after the other.
        let stamps = handed.compactMap { $0.split(separator: " ").first }
        #expect(Set(stamps).count <= 2)
        // The order: the VIPs were handed over while the slow request was still in flight, then the drain ran out.
        let lines = log.split(separator: "\n")
        let handedAt = lines.firstIndex { $0.contains("VIP handed over") }
        let drainAt = lines.firstIndex { $0.contains("HTTP drain timed out") }
        #expect(handedAt != nil && drainAt != nil && handedAt! < drainAt!, "handover \(String(describing: handedAt)), drain \(String(describing: drainAt))")
        #expect(try lab.eventually(.seconds(5)) { slowEnded.withLock { $0 } != nil }, "the slow request outlived the agent")

        // SIGKILL: nothing hands over; the addresses stay until vip cleanup removes them.
        try lab.check([Lab.script, "start-agent", "ctl1"])
        #expect(try lab.eventually(.seconds(15)) { try lab.holders("198.18.0.10") == ["ctl1"] && lab.holders("198.18.0.9") == ["ctl1"] })
        try lab.check([Lab.script, "kill-agent", "ctl1"])
        #expect(try lab.holders("198.18.0.10").contains("ctl1"), "SIGKILL should leave the VIP behind")
        let cleanup = try lab.hactl(["vip", "cleanup", "--node", "ctl1"], in: "ctl1")
        #expect(cleanup.code == 0, "\(cleanup)")
        #expect(cleanup.stdout.contains("public: removed 198.18.0.10/24 from eth0"), "\(cleanup)")
        #expect(cleanup.stdout.contains("internal: removed 198.18.0.9/24 from eth0"), "\(cleanup)")
        #expect(try !lab.holders("198.18.0.10").contains("ctl1"))
        #expect(try !lab.holders("198.18.0.9").contains("ctl1"))
        // Idempotent: nothing left, nothing printed, exit 0.
        let again = try lab.hactl(["vip", "cleanup", "--node", "ctl1"], in: "ctl1")
        #expect(again.code == 0 && again.stdout.isEmpty, "\(again)")
        // ctl2 (a backup then, now master again) keeps serving the VIP.
        #expect(try lab.eventually { try lab.holders("198.18.0.10") == ["ctl2"] })
    }
}
