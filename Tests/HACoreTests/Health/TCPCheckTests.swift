import Glibc
import HACore
import NIOCore
import NIOPosix
import Testing

/// Real sockets on loopback only.
@Suite struct TCPCheckTests {
    /// A listener on 127.0.0.1 (or ::1) with an ephemeral port; `accepting: false` never accepts, so
    /// once its backlog is full further SYNs are dropped and a connect hangs.
    static func listen(host: String = "127.0.0.1", accepting: Bool = true) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 0)
            .serverChannelOption(.autoRead, value: accepting)
            .bind(host: host, port: 0).get()
    }

    @Test func passesAgainstALoopbackListener() async throws {
        let server = try await Self.listen()
        let port = try #require(server.localAddress?.port)
        let check = TCPCheck(name: "haproxy", host: "127.0.0.1", port: port, timeout: .seconds(2))
        let start = HealthTesting.at(7)
        #expect(await check.run(at: start) == .passing(at: start))
        try await server.close()
    }

    @Test func passesOverIPv6LoopbackWhenAvailable() async throws {
        guard let server = try? await Self.listen(host: "::1") else { return }  // no IPv6 loopback here
        let port = try #require(server.localAddress?.port)
        let check = TCPCheck(name: "v6", host: "::1", port: port, timeout: .seconds(2))
        #expect(check.target == "[::1]:\(port)")
        #expect(await check.run(at: .zero).status == .passing)
        try await server.close()
    }

    @Test func closedPortIsCriticalConnectionRefused() async throws {
        // A port bound but not listening refuses connections, and nobody else (a parallel test's
        // ephemeral listener) can take it while we hold it: a closed listener's port could be reused.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let check = TCPCheck(name: "haproxy", host: "127.0.0.1", port: port, timeout: .seconds(2))
        let result = await check.run(at: HealthTesting.at(1))
        #expect(result == .critical("connect 127.0.0.1:\(port): Connection refused", at: HealthTesting.at(1)))
    }

    @Test func nonNumericHostIsCriticalWithoutResolving() async {
        let check = TCPCheck(name: "x", host: "localhost", port: 80, timeout: .seconds(1))
        let result = await check.run(at: .zero)
        #expect(result.status == .critical)
        #expect(result.reason == "connect localhost:80: not a numeric IP address")
    }

    /// Fills a non-accepting listener's backlog so the next connect gets no answer.
    static func blackhole() async throws -> (server: any Channel, fillers: [any Channel], port: Int) {
        let server = try await listen(accepting: false)
        let port = try #require(server.localAddress?.port)
        var fillers: [any Channel] = []
        let client = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.milliseconds(200))
        // The accept queue holds backlog + 1 connections; the rest are not answered.
        for _ in 0..<4 {
            guard let channel = try? await client.connect(host: "127.0.0.1", port: port).get() else { break }
            fillers.append(channel)
        }
        return (server, fillers, port)
    }

    @Test func unansweredConnectTimesOut() async throws {
        let (server, fillers, port) = try await Self.blackhole()
        let check = TCPCheck(name: "hung", host: "127.0.0.1", port: port, timeout: .milliseconds(150))
        let result = await check.run(at: .zero)
        #expect(result.reason == "connect 127.0.0.1:\(port): timeout after 150ms")
        for channel in fillers { try? await channel.close() }
        try await server.close()
    }

    @Test func cancellationReturnsPromptly() async throws {
        let (server, fillers, port) = try await Self.blackhole()
        let check = TCPCheck(name: "hung", host: "127.0.0.1", port: port, timeout: .seconds(60))
        let task = Task { await check.run(at: .zero) }
        // Let the connect get under way, then cancel: the check must not wait for its 60s timeout.
        for _ in 0..<1000 { await Task.yield() }
        let started = ContinuousClock.now
        task.cancel()
        let result = await task.value
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(result.status == .critical)
        #expect(result.reason == "connect 127.0.0.1:\(port): cancelled")
        for channel in fillers { try? await channel.close() }
        try await server.close()
    }
}
