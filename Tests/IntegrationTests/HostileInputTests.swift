import Foundation
import HACore
import Synchronization
import Testing

/// Issue 11, "keep it closed": a hostile client on the controllers' network against a real agent in
/// the lab. The agent stays up (same PID), the VIP keeps its master, the health endpoints keep
/// answering while 2,000 idle connections are opened, and /metrics says what was dropped.
@Suite("Hostile input against a real agent", .serialized)
struct HostileInputTests {
    static let target = "198.18.0.11"

    @Test("non-canonical paths, forged/replayed/overflowing signatures, big and trickled bodies, 2,000 idle connections")
    func agentSurvivesHostileClient() throws {
        raiseDescriptorLimit()
        let lab = try Lab.up(configBody: Lab.vipConfig(), prefix: "b1", name: "b1-hostile")
        defer { lab.down() }
        try lab.agents()
        #expect(try lab.waitForMaster("ctl1"), "ctl1 never became master")
        let pidFile = lab.run + "/ctl1/agent.pid"
        let pid = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let base = "http://\(Self.target):9780"

        // 1. Non-canonical admin paths, unsigned: never 2xx, the node stays undrained.
        for path in ["//v1/node/drain", "/v1//node/drain", "/./v1/node/drain", "/v1/x/../node/drain",
                     "/v1/node/drain/", "/v1/node%2Fdrain", "/%2F/v1/node/drain", "/v1/node/drain?x=1"] {
            let r = try lab.curl(["--path-as-is", "-X", "POST", base + path])
            #expect(!(200..<300).contains(r.code), "\(path): \(r)")
        }
        #expect(try lab.curl([base + "/health/node"]).code == 200, "a non-canonical path drained the node")

        // 2. Forged, overflowing and malformed signatures: 401 (or 400), never a crash.
        let now = Int64(Date().timeIntervalSince1970)
        let mac = String(repeating: "ab", count: 32)
        for t in ["-9223372036854775808", "9223372036854775807", "99999999999999999999999", "-1", "\(now)"] {
            let r = try lab.curl(["-X", "POST", "-H", "Authorization: HACTL-HMAC-SHA256 t=\(t),n=0011223344556677,s=\(mac)",
                                  base + "/v1/node/drain"])
            #expect(r.code == 401 || r.code == 400, "t=\(t): \(r)")
        }
        for header in ["HACTL-HMAC-SHA256", "HACTL-HMAC-SHA256 t=,n=,s=", String(repeating: "A", count: 8000),
                       "HACTL-HMAC-SHA256 t=\(now),n=\(String(repeating: "0", count: 4000)),s=\(mac)"] {
            let r = try lab.curl(["-X", "POST", "-H", "Authorization: \(header)", base + "/v1/node/drain"])
            #expect(r.code >= 400 && r.code < 500, "\(header.prefix(40)): \(r)")
        }

        // 3. Replay: a valid call for ctl1 works once; replayed to ctl1 or sent to ctl2 it is refused.
        let signer = try RequestSigner(secretFile: lab.run + "/cluster.key")
        let auth = signer.sign(method: "POST", path: "/v1/node/resume", body: [UInt8](), node: "ctl1", cluster: "vip-it",
                               unixTime: Int64(Date().timeIntervalSince1970))
        let first = try lab.curl(["-X", "POST", "-H", "Authorization: \(auth)", base + "/v1/node/resume"])
        #expect(first.code == 200, "the genuine call: \(first)")
        let replayed = try lab.curl(["-X", "POST", "-H", "Authorization: \(auth)", base + "/v1/node/resume"])
        #expect(replayed.code == 401, "replayed: \(replayed)")
        let elsewhere = try lab.curl(["-X", "POST", "-H", "Authorization: \(auth)", "http://198.18.0.12:9780/v1/node/resume"])
        #expect(elsewhere.code == 401, "replayed to ctl2: \(elsewhere)")

        // 4.-5. Raw sockets from the client namespace: bodies, trickles, 2,000 idle connections.
        let report = try NamespaceThread.run(in: lab.ns("client")) { () throws -> HostileReport in
            try Self.rawSocketAttack()
        }
        print("hostile: \(report.opened) idle connections opened, \(report.stillOpen) still open at the end of the measurement; "
              + "/health/node answered \(report.answered)/\(report.latencies.count), p50 \(report.ms(0.5)) ms, "
              + "p99 \(report.ms(0.99)) ms, max \(report.ms(1.0)) ms; agent-check answered \(report.agentCheckAnswered)/20")
        #expect(report.opened >= 1_900, "could not open the idle connections: \(report.opened)")
        #expect(report.oversizedStatus.hasPrefix("HTTP/1.1 413"), "\(report.oversizedStatus)")
        #expect(report.answered == report.latencies.count, "health requests failed while connections were held")
        #expect(report.percentile(0.99) < 500, "p99 \(report.ms(0.99)) ms")
        #expect(report.agentCheckAnswered == 20)
        #expect(report.trickleClosedAfter != nil && report.trickleClosedAfter! < 16, "trickled body: \(String(describing: report.trickleClosedAfter))")
        #expect(report.stillOpen <= 512, "the cap was not enforced: \(report.stillOpen)")

        // 6. The agent is the same process, the VIP kept its master, health endpoints answer.
        let pidAfter = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(pidAfter == pid)
        #expect(kill(pid_t(pid) ?? 0, 0) == 0, "the agent died")
        #expect(try lab.holders() == ["ctl1"])
        #expect(try lab.vipState("ctl1") == "master")
        #expect(try lab.curl([base + "/health/node"]).code == 200)
        #expect(try lab.curl([base + "/health/vip/public"]).code == 200)
        #expect(try lab.agentCheck(Self.target, "node") == "up")

        // 7. The counters say what was dropped.
        let metrics = try lab.curl([base + "/metrics"]).body
        func counter(_ name: String) -> Int {
            metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? -1) } ?? 0
        }
        let evicted = counter("hactl_connections_dropped_total{listener=\"api\",reason=\"evicted\"}")
        print("hostile: metrics evicted=\(evicted) oversized=\(counter("hactl_connections_dropped_total{listener=\"api\",reason=\"oversized\"}")) "
              + "body_timeout=\(counter("hactl_connections_dropped_total{listener=\"api\",reason=\"body_timeout\"}")) "
              + "idle_timeout=\(counter("hactl_connections_dropped_total{listener=\"api\",reason=\"idle_timeout\"}"))")
        #expect(evicted >= 1_400, "evicted \(evicted)")
        #expect(counter("hactl_connections_dropped_total{listener=\"api\",reason=\"oversized\"}") >= 1)
        // The trickled body was cut off (asserted above): by eviction (it is idle while it trickles) or at
        // the body timeout, whichever came first; either way it is counted.
        #expect(metrics.contains("hactl_api_auth_failures_total{reason=\"replayed\"}"))

        // 8. Forged peer answers: ctl2's agent is replaced by a server that answers every call 200 with
        // a forged answer MAC and absurd numbers. Draining ctl1 asks ctl2 first to take the VIP: the
        // answer must not be trusted (nor crash ctl1); ctl3, the next peer, takes the VIP.
        try lab.check([Lab.script, "stop-agent", "ctl2"])
        let fake = try lab.spawn(["ip", "netns", "exec", lab.ns("ctl2"), "python3", "-c", Self.forgedPeer],
                                 output: lab.run + "/forged-peer.log")
        defer { kill(fake, SIGTERM); _ = Subprocess.wait(fake) }
        #expect(try lab.eventually(.seconds(5)) { try lab.curl(["http://198.18.0.12:9780/v1/status"]).code == 200 })
        let drain = try lab.hactl(["node", "drain", "ctl1"])
        #expect(drain.code == 0, "\(drain)")
        #expect(try lab.eventually(.seconds(10)) { try lab.holders() == ["ctl3"] }, "the VIP did not move to ctl3")
        let log = try String(contentsOfFile: lab.run + "/ctl1/agent.log", encoding: .utf8)
        #expect(log.contains("peer takeover failed") && log.contains("failed authentication"), "ctl1 trusted the forged answer")
        #expect(kill(pid_t(pid) ?? 0, 0) == 0, "the agent died on a forged peer answer")
        #expect(try lab.curl([base + "/health/node"]).code == 503, "drained")
    }

    /// A fake agent for ctl2: every call gets 200, a forged answer MAC and huge numbers.
    static let forgedPeer = """
        import http.server
        class H(http.server.BaseHTTPRequestHandler):
            def reply(self):
                n = int(self.headers.get('Content-Length') or 0)
                if n: self.rfile.read(min(n, 65536))
                b = b'{"ok":true,"message":"taken","passing_for_seconds":1e308,"state":"master","priority":99999999999999999999}'
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(b)))
                self.send_header('X-Hactl-Response', 'HACTL2 s=' + '00' * 32)
                self.end_headers()
                self.wfile.write(b)
            do_GET = reply
            do_POST = reply
            def log_message(self, *a): pass
        http.server.HTTPServer(('198.18.0.12', 9780), H).serve_forever()
        """
}

extension HostileInputTests {
    struct HostileReport: Sendable {
        var opened = 0
        var stillOpen = 0
        var latencies: [Double] = []
        var answered = 0
        var agentCheckAnswered = 0
        var oversizedStatus = ""
        var trickleClosedAfter: Double?

        /// Nearest-rank percentile of the latencies, in milliseconds (-1 without samples).
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return -1 }
            let sorted = latencies.sorted()
            let rank = Int((Double(sorted.count) * p).rounded(.up)) - 1
            return sorted[min(sorted.count - 1, max(0, rank))]
        }

        func ms(_ p: Double) -> String { String(format: "%.1f", percentile(p)) }
    }

    /// Runs inside the client namespace (blocking sockets on a dedicated thread).
    static func rawSocketAttack() throws -> HostileReport {
        var report = HostileReport()
        // An oversized body: 413 before any of it is sent.
        report.oversizedStatus = RawSocket.exchange(target, 9780,
            "POST /v1/node/drain HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n", timeout: 5)

        // A trickled body: a byte every 500 ms; the agent must cut it off at its body timeout (10 s).
        let trickle = try RawSocket.connect(target, 9780)
        defer { close(trickle) }
        RawSocket.send(trickle, "POST /v1/node/drain HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        let trickleStart = ContinuousClock.now

        // 2,000 idle connections (half of them with a head that never completes), bounded loop.
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        for i in 0..<2_000 {
            guard let fd = try? RawSocket.connect(target, 9780, timeout: 2) else { continue }
            if i % 2 == 1 { RawSocket.send(fd, "GET /health/no") }
            idle.append(fd)
            if i % 200 == 0 { RawSocket.send(trickle, "x") }
        }
        report.opened = idle.count

        // Health endpoints while they are held: 200 sequential requests, each on a new connection.
        for i in 0..<200 {
            let start = ContinuousClock.now
            let answer = RawSocket.exchange(target, 9780, "GET /health/node HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout: 5)
            let elapsed = ContinuousClock.now - start
            report.latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            if answer.hasPrefix("HTTP/1.1 200") { report.answered += 1 }
            if i % 10 == 0 {
                if RawSocket.exchange(target, 9781, "node\n", timeout: 3) == "up\n" { report.agentCheckAnswered += 1 }
                RawSocket.send(trickle, "x")
            }
        }
        report.stillOpen = idle.filter { RawSocket.isOpen($0) }.count

        // Keep trickling until the agent closes the connection (bounded: 20 s).
        let deadline = trickleStart + .seconds(20)
        while ContinuousClock.now < deadline {
            if !RawSocket.isOpen(trickle) {
                let elapsed = ContinuousClock.now - trickleStart
                report.trickleClosedAfter = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                break
            }
            RawSocket.send(trickle, "x")
            Thread.sleep(forTimeInterval: 0.5)
        }
        return report
    }

    func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = rlim_t(8_192)
        if limit.rlim_cur < wanted {
            limit.rlim_cur = min(wanted, limit.rlim_max)
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
    }
}

/// Runs a closure on a new thread that has joined a network namespace (`ip netns` name), so the
/// sockets it opens live there; the calling thread waits for it.
enum NamespaceThread {
    /// `setns(2)`: glibc declares it only under _GNU_SOURCE, which Swift's Glibc module does not set.
    private static let setns: @convention(c) (Int32, Int32) -> Int32 = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "setns") else { fatalError("setns not found in libc") }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    static func run<T: Sendable>(in namespace: String, _ body: @escaping @Sendable () throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        start(in: namespace) { entered in
            defer { done.signal() }
            guard entered else { result.withLock { $0 = .failure(POSIXError(.EPERM)) }; return }
            let outcome = Result { try body() }
            result.withLock { $0 = outcome }
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }

    /// Starts `body` on a new thread in `namespace` and returns at once; `body` learns whether the
    /// thread entered the namespace.
    static func start(in namespace: String, _ body: @escaping @Sendable (_ entered: Bool) -> Void) {
        let thread = Thread {
            let fd = open("/var/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0, setns(fd, 0x4000_0000) == 0 else {  // CLONE_NEWNET
                if fd >= 0 { close(fd) }
                body(false)
                return
            }
            close(fd)
            body(true)
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// Blocking IPv4 sockets for the hostile client.
enum RawSocket {
    static func connect(_ address: String, _ port: Int, timeout: Int = 5) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(address)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) {
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
    }

    /// Sends `request`, reads until the peer closes (or `timeout` seconds pass without data).
    static func exchange(_ address: String, _ port: Int, _ request: String, timeout: Int) -> String {
        guard let fd = try? connect(address, port, timeout: timeout) else { return "" }
        defer { close(fd) }
        send(fd, request)
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 1 << 20 {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// False once the peer closed (or reset) the connection; never blocks.
    static func isOpen(_ fd: Int32) -> Bool {
        var buf = [UInt8](repeating: 0, count: 512)
        while true {
            let n = recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT))
            if n > 0 { continue }  // drain whatever the agent sent
            if n == 0 { return false }
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
        }
    }
}
