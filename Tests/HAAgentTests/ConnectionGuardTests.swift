import Foundation
@testable import HAAgent
import HACore
import Hummingbird
import ServiceLifecycle
import Testing

/// The connection guard (issue 11 item 5): the cap evicts idle connections so health endpoints keep
/// answering, idle and body timeouts, the body limit; and the bounded HTTP drain (item 6).
@Suite("Connection guard")
struct ConnectionGuardTests {
    // MARK: the pure table

    @Test("at the cap the least recently active idle connection is evicted; busy ones never")
    func tableEvictsLeastRecentlyActiveIdle() {
        let t0 = ContinuousClock.now
        var table = ConnectionTable(capacity: 3)
        #expect(table.open(1, now: t0) == .admitted)
        #expect(table.open(2, now: t0 + .seconds(1)) == .admitted)
        #expect(table.open(3, now: t0 + .seconds(2)) == .admitted)
        table.update(1, busy: false, now: t0 + .seconds(3))  // 1 was active last: 2 is now the oldest
        #expect(table.open(4, now: t0 + .seconds(4)) == .admittedEvicting(2))
        table.update(3, busy: true, now: t0 + .seconds(5))
        table.update(1, busy: true, now: t0 + .seconds(5))
        #expect(table.open(5, now: t0 + .seconds(6)) == .admittedEvicting(4))
        table.update(5, busy: true, now: t0 + .seconds(7))
        #expect(table.open(6, now: t0 + .seconds(8)) == .refused)
        #expect(table.count == 3)
        table.close(3)
        #expect(table.open(6, now: t0 + .seconds(9)) == .admitted)
    }

    @Test("listen_address controller binds the controller address and its loopback; an address binds only itself")
    func listenAddresses() {
        let v4 = Controller(name: "ctl1", address: IPAddress("198.18.0.11")!)
        let v6 = Controller(name: "ctl1", address: IPAddress("2001:db8::11")!)
        #expect(Agent.listenAddresses(.controller, node: v4) == ["198.18.0.11", "127.0.0.1"])
        #expect(Agent.listenAddresses(.controller, node: v6) == ["2001:db8::11", "::1"])
        #expect(Agent.listenAddresses(.address(IPAddress("0.0.0.0")!), node: v4) == ["0.0.0.0"])
        #expect(Agent.listenAddresses(.controller, node: Controller(name: "lo", address: IPAddress("127.0.0.1")!)) == ["127.0.0.1"])
    }

    // MARK: a live server

    static let limits = ConnectionLimits(maxConnections: 8, idleTimeout: .milliseconds(400),
                                         bodyTimeout: .milliseconds(400), maxBody: 1024)

    func withAPI(_ f: Fixture, limits: ConnectionLimits = Self.limits, _ body: @Sendable (Int) async throws -> Void) async throws {
        let port = Int.random(in: 20000...30000)
        let app = Agent(context: f.context).makeApplication(host: "127.0.0.1", port: port, limits: limits)
        let group = ServiceGroup(services: [app], logger: f.context.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var up = false
            for _ in 0..<200 where !up {
                if let fd = try? TestSocket.connect(port) { close(fd); up = true } else { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(up, "API did not start on port \(port)")
            try await body(port)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    func metric(_ f: Fixture, _ reason: ConnectionDrop) -> String {
        var bytes: [UInt8] = []
        f.context.metrics.registry.emit(into: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        let prefix = "hactl_connections_dropped_total{listener=\"api\",reason=\"\(reason.rawValue)\"} "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) } ?? "0"
    }

    /// The drop counter once it reaches `least`, or its value after a bounded wait. Accepted
    /// connections register with the guard concurrently, so an answer on a new connection can come
    /// before every held connection has been counted; reading the counter once raced with that.
    func metric(_ f: Fixture, _ reason: ConnectionDrop, atLeast least: Int) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(5)
        while (Int(metric(f, reason)) ?? 0) < least, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return Int(metric(f, reason)) ?? 0
    }

    @Test("idle connections over the cap are evicted and /health/node keeps answering")
    func healthAnswersAtTheCap() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        // Idle timeout long enough that eviction, not the timer, is what frees room (a loaded machine).
        var limits = Self.limits
        limits.idleTimeout = .seconds(30)
        try await withAPI(f, limits: limits) { port in
            var idle: [Int32] = []
            defer { idle.forEach { close($0) } }
            for _ in 0..<40 { idle.append(try TestSocket.connect(port)) }
            // Accepted connections register with the limiter concurrently; wait (bounded) until all 40
            // are registered (at least 32 evicted) before asking, or a late registration can evict the
            // asking connection before its request arrives (the cap as designed: it cannot tell a
            // client that is about to speak from a silent one). Seen once in a fresh-clone make test.
            #expect(try await metric(f, .evicted, atLeast: 32) >= 32)
            for _ in 0..<5 {
                let answer = try await TestSocket.blocking {
                    try TestSocket.exchange(port, "GET /health/node HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                }
                #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
            }
            #expect(try await metric(f, .evicted, atLeast: 32) >= 32)
        }
    }

    @Test("a connection without a complete request head is closed after the idle timeout")
    func idleAndTrickledHeadTimeOut() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await withAPI(f) { port in
            let fd = try TestSocket.connect(port)
            defer { close(fd) }
            TestSocket.send(fd, "GET /health/no")  // a head that never completes
            let start = ContinuousClock.now
            #expect(try await TestSocket.blocking { TestSocket.readUntilClosed(fd, timeout: 5) } == "")
            #expect(ContinuousClock.now - start < .seconds(4))
            #expect(metric(f, .idleTimeout) == "1")
        }
    }

    @Test("a trickled body is cut off at the body timeout")
    func trickledBodyTimesOut() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await withAPI(f) { port in
            let fd = try TestSocket.connect(port)
            defer { close(fd) }
            TestSocket.send(fd, "POST /v1/node/drain HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
            let start = ContinuousClock.now
            _ = try await TestSocket.blocking { TestSocket.readUntilClosed(fd, timeout: 5) }
            #expect(ContinuousClock.now - start < .seconds(4))
            #expect(metric(f, .bodyTimeout) == "1")
            #expect(f.context.nodeState.drained == false)
        }
    }

    @Test("connections trickling their bodies are evictable: /health/node still answers at the cap")
    func tricklingBodiesAreEvictable() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        var limits = Self.limits
        limits.idleTimeout = .seconds(30)
        limits.bodyTimeout = .seconds(30)
        try await withAPI(f, limits: limits) { port in
            var held: [Int32] = []
            defer { held.forEach { close($0) } }
            for i in 0..<20 {
                let fd = try TestSocket.connect(port)
                let path = i % 2 == 0 ? "/v1/node/drain" : "/health/node"
                TestSocket.send(fd, "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nab")
                held.append(fd)
            }
            // All 20 registered (at least 12 evicted) before asking: see healthAnswersAtTheCap.
            #expect(try await metric(f, .evicted, atLeast: 12) >= 12)
            let answer = try await TestSocket.blocking {
                try TestSocket.exchange(port, "GET /health/node HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            }
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
            #expect(try await metric(f, .evicted, atLeast: 12) >= 12)
        }
    }

    @Test("a request answered before its body ended (401) does not leave the connection marked busy forever")
    func earlyAnswerThenBodyEnds() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await withAPI(f) { port in
            let fd = try TestSocket.connect(port)
            defer { close(fd) }
            TestSocket.send(fd, "POST /v1/node/drain HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
            try await Task.sleep(for: .milliseconds(100))
            TestSocket.send(fd, "cdefghij")
            let start = ContinuousClock.now
            let answer = try await TestSocket.blocking { TestSocket.readUntilClosed(fd, timeout: 8) }
            #expect(answer.hasPrefix("HTTP/1.1 401"), "\(answer)")
            #expect(ContinuousClock.now - start < .seconds(4), "the connection was never closed")
            #expect(f.context.nodeState.drained == false)
        }
    }

    @Test("a body over the limit gets 413 before any of it is read; a long chunked body is cut off")
    func oversizedBodies() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await withAPI(f) { port in
            let answer = try await TestSocket.blocking {
                try TestSocket.exchange(port, "POST /v1/node/drain HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
            }
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer)")
            let chunk = String(repeating: "a", count: 600)
            let chunked = "POST /v1/node/drain HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n"
            _ = try await TestSocket.blocking { try TestSocket.exchange(port, chunked) }
            #expect(metric(f, .oversized) == "2")
            #expect(f.context.nodeState.drained == false)
        }
    }

    // MARK: bounded drain (item 6)

    struct Stubborn: Service {
        func run() async throws {
            // Ignores graceful shutdown, like a server with a request that never ends; only cancellation stops it.
            try await Task.sleep(for: .seconds(3600))
        }
    }

    @Test("the HTTP drain is bounded: a service that ignores graceful shutdown is cancelled after the drain")
    func boundedDrain() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let drained = BoundedDrain(service: Stubborn(), drain: .milliseconds(300), logger: f.context.logger)
        let group = ServiceGroup(services: [drained], logger: f.context.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(100))
            let start = ContinuousClock.now
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(ContinuousClock.now - start >= .milliseconds(250))
        }
    }
}

/// Blocking loopback sockets for the tests. Calls that wait on the server go through `blocking`,
/// off the cooperative pool: the server's responders run on that pool, and a blocked pool thread
/// would stall them (two cores, two pool threads).
enum TestSocket {
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) {
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    static func readUntilClosed(_ fd: Int32, timeout: Int) -> String {
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func exchange(_ port: Int, _ request: String) throws -> String {
        let fd = try connect(port)
        defer { close(fd) }
        send(fd, request)
        return readUntilClosed(fd, timeout: 5)
    }
}
