import HACore
import Testing

/// `DatagramEndpoint` over loopback only (127.0.0.1 and ::1), kernel-chosen ports.
@Suite("Datagram endpoint")
struct DatagramEndpointTests {
    /// The next `count` datagrams, or what arrived within 10 s (a failing test must not hang).
    private static func next(_ count: Int, from endpoint: DatagramEndpoint) async -> [Datagram] {
        await withTaskGroup(of: [Datagram]?.self) { group in
            group.addTask {
                var received: [Datagram] = []
                for await datagram in endpoint.datagrams {
                    received.append(datagram)
                    if received.count == count { break }
                }
                return received
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? []
        }
    }

    /// Waits (bounded, 10 s) until `condition` holds.
    private static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test(arguments: ["127.0.0.1", "::1"])
    func sendsAndReceivesWithTheSource(loopback: String) async throws {
        let address = try #require(IPAddress(loopback))
        let a = try await DatagramEndpoint.bind(address, port: 0)
        let b = try await DatagramEndpoint.bind(address, port: 0)
        #expect(a.local.address == address && a.local.port != 0 && a.local.port != b.local.port)
        try await a.send(Array("ping".utf8), to: b.local)
        try await b.send(Array("pong".utf8), to: a.local)
        let atB = await Self.next(1, from: b), atA = await Self.next(1, from: a)
        #expect(atB == [Datagram(source: a.local, payload: Array("ping".utf8))])
        #expect(atA == [Datagram(source: b.local, payload: Array("pong".utf8))])
        #expect(b.received == 1 && b.oversizeDropped == 0)
        await a.close()
        await b.close()
    }

    @Test func oversizeDatagramsAreDroppedAndCounted() async throws {
        let loopback = try #require(IPAddress("127.0.0.1"))
        let sender = try await DatagramEndpoint.bind(loopback, port: 0, maxDatagramSize: 9000)
        let receiver = try await DatagramEndpoint.bind(loopback, port: 0, maxDatagramSize: 100)
        try await sender.send([UInt8](repeating: 1, count: 101), to: receiver.local)
        try await sender.send([UInt8](repeating: 2, count: 8000), to: receiver.local)
        try await sender.send([UInt8](repeating: 3, count: 100), to: receiver.local)
        let received = await Self.next(1, from: receiver)
        #expect(received.map(\.payload) == [[UInt8](repeating: 3, count: 100)])
        #expect(receiver.oversizeDropped == 2)
        await sender.close()
        await receiver.close()
    }

    @Test func sendingPastTheLimitThrows() async throws {
        let loopback = try #require(IPAddress("127.0.0.1"))
        let endpoint = try await DatagramEndpoint.bind(loopback, port: 0, maxDatagramSize: 64)
        await #expect(throws: DatagramError.tooLarge(size: 65, limit: 64)) {
            try await endpoint.send([UInt8](repeating: 0, count: 65), to: endpoint.local)
        }
        await endpoint.close()
    }

    /// Unread datagrams beyond `queueLimit` are dropped and counted, not queued without bound.
    @Test func aFullQueueDropsAndCounts() async throws {
        let loopback = try #require(IPAddress("127.0.0.1"))
        let sender = try await DatagramEndpoint.bind(loopback, port: 0)
        let receiver = try await DatagramEndpoint.bind(loopback, port: 0, queueLimit: 2)
        for index in 0..<5 { try await sender.send([UInt8(index)], to: receiver.local) }
        #expect(await Self.eventually { receiver.received + receiver.overflowDropped == 5 })
        #expect(receiver.received == 2 && receiver.overflowDropped == 3)
        #expect(await Self.next(2, from: receiver).map(\.payload) == [[0], [1]], "the oldest are kept")
        await sender.close()
        await receiver.close()
    }

    /// Closing finishes the sequence (a waiting reader ends) and later sends fail.
    @Test func closeFinishesTheSequence() async throws {
        let loopback = try #require(IPAddress("::1"))
        let endpoint = try await DatagramEndpoint.bind(loopback, port: 0)
        let reader = Task {
            var count = 0
            for await _ in endpoint.datagrams { count += 1 }
            return count
        }
        await endpoint.close()
        #expect(await reader.value == 0)
        await #expect(throws: DatagramError.closed) {
            try await endpoint.send([1], to: endpoint.local)
        }
        await endpoint.close()   // idempotent
    }

    /// A second endpoint cannot take over a bound port (and its heartbeats).
    @Test func bindingAPortInUseFails() async throws {
        let loopback = try #require(IPAddress("127.0.0.1"))
        let first = try await DatagramEndpoint.bind(loopback, port: 0)
        await #expect(throws: (any Error).self) {
            _ = try await DatagramEndpoint.bind(loopback, port: first.local.port)
        }
        #expect(first.local.description == "127.0.0.1:\(first.local.port)")
        #expect(DatagramPeer(try #require(IPAddress("::1")), port: 7410).description == "[::1]:7410")
        await first.close()
    }
}
