import Foundation
@testable import HAAgent
import HACore
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

/// The HAProxy agent-check protocol over a real TCP socket on loopback.
@Suite("Agent-check server")
struct AgentCheckServerTests {
    /// Runs the server on an ephemeral loopback port for the duration of `body`.
    func withServer(_ f: Fixture, limiter: ConnectionLimiter? = nil, defaultAfter: TimeAmount = .milliseconds(200),
                    _ body: @Sendable (Int) async throws -> Void) async throws {
        let port = Int.random(in: 20000...30000)  // below the kernel's ephemeral range (32768+)
        var server = AgentCheckServer(context: f.context, host: "127.0.0.1", port: port, limiter: limiter)
        server.defaultAfter = defaultAfter
        let group = ServiceGroup(services: [server], logger: f.context.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await waitForListener(port)
            try await body(port)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    func waitForListener(_ port: Int) async throws {
        for _ in 0..<100 {
            if let fd = try? TestSocket.connect(port) { close(fd); return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("agent-check server did not start on port \(port)")
    }

    /// Sends `request` (nil: send nothing) and reads until the server closes.
    func exchange(_ port: Int, _ request: String?) async throws -> String {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<String, any Error>) in
            DispatchQueue.global().async {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(fd) }
                var tv = timeval(tv_sec: 3, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = in_port_t(UInt16(port).bigEndian)
                addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                let rc = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard rc == 0 else { return cont.resume(throwing: POSIXError(.ECONNREFUSED)) }
                if let request { _ = request.withCString { send(fd, $0, strlen($0), 0) } }
                var out = [UInt8]()
                var buf = [UInt8](repeating: 0, count: 512)
                while true {
                    let n = recv(fd, &buf, buf.count, 0)
                    if n <= 0 { break }
                    out += buf[0..<n]
                }
                cont.resume(returning: String(decoding: out, as: UTF8.self))
            }
        }
    }

    @Test func answersOneLinePerServiceAndCloses() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await withServer(f) { port in
            #expect(try await exchange(port, "node\n") == "up\n")
            #expect(try await exchange(port, "NODE\r\n") == "up\n")
            #expect(try await exchange(port, "galera\n") == "down #galera not configured\n")
            #expect(try await exchange(port, "rabbitmq\n") == "down #rabbitmq not configured\n")
            #expect(try await exchange(port, "bogus\n") == "down #unknown service\n")
            // HAProxy without agent-send: the node answer after a short wait.
            #expect(try await exchange(port, nil) == "up\n")
            // An oversized request without a newline is answered and dropped, not buffered forever.
            #expect(try await exchange(port, String(repeating: "x", count: 1000)) == "down #unknown service\n")
            try f.context.nodeState.setDrained(true)
            #expect(try await exchange(port, "node\n") == "drain\n")
        }
    }

    @Test("at the connection cap a new client still gets its answer: the oldest connections are closed")
    func capEvictsOldest() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let limits = ConnectionLimits(maxConnections: 4, idleTimeout: .seconds(1), bodyTimeout: .seconds(1), maxBody: 128)
        let limiter = ConnectionLimiter(listener: "agent_check", limits: limits, metrics: f.context.metrics)
        // Silent clients are kept 10 s here, so only the cap closes them.
        try await withServer(f, limiter: limiter, defaultAfter: .seconds(10)) { port in
            var held: [Int32] = []
            defer { held.forEach { close($0) } }
            for _ in 0..<20 { held.append(try TestSocket.connect(port)) }
            // Accepted connections register with the limiter concurrently (one event loop each), so
            // wait (bounded) until all 20 are registered, at least 16 of them evicted, before the
            // new client: otherwise late registrations could evict it before its request arrives,
            // which is the cap working as designed, not what this test is about.
            let settled = ContinuousClock.now + .seconds(5)
            while evicted().0 < 16, ContinuousClock.now < settled { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await exchange(port, "node\n") == "up\n")
            func evicted() -> (Int, String?) {
                var bytes: [UInt8] = []
                f.context.metrics.registry.emit(into: &bytes)
                let text = String(decoding: bytes, as: UTF8.self)
                let line = text.split(separator: "\n").first { $0.hasPrefix("hactl_connections_dropped_total{listener=\"agent_check\",reason=\"evicted\"}") }
                return (line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0, line.map(String.init))
            }
            let deadline = ContinuousClock.now + .seconds(5)
            while evicted().0 < 16, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let (count, line) = evicted()
            #expect(count >= 16, "\(String(describing: line))")
        }
    }
}
