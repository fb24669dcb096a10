import Foundation
import Glibc
import HACore
import Testing
@testable import VIPManager

/// VRRPSocket over IPv4 against the real kernel: two namespaces joined by a veth, no default route.
@Suite("VRRPSocket IPv4 (real kernel, root)", .serialized, .enabled(if: getuid() == 0, "needs root: network namespaces and raw sockets"))
struct VRRPSocketIPv4Tests {
    typealias Lab = SocketLab

    @Test("multicast advert from A arrives on B with TTL 255 and decodes; no default route needed")
    func multicastAdvert() async throws {
        try await Lab.withPair { a, b in
            // Control: this namespace has no default route, so a socket that does not name its interface
            // cannot reach the group at all (LAB-NOTES).
            let plainError = try await a.run { plainMulticastSendError() }
            #expect(plainError == ENETUNREACH, "a plain raw socket should fail with ENETUNREACH, got errno \(plainError)")

            let sender = try await a.run { try VRRPSocket(interface: Lab.interface, family: .v4) }
            let receiver = try await b.run { try VRRPSocket(interface: Lab.interface, family: .v4) }
            let group = VRRPCodec.multicastGroupIPv4
            let message = Lab.advert(from: Lab.addressA, to: group)
            try await a.run { try sender.send(message, to: group) }

            let received = try await b.run { try Lab.receiveNext(receiver) }
            try #require(received.count == 1)
            let datagram = received[0]
            #expect(datagram.source == Lab.addressA)
            #expect(datagram.destination == group)
            #expect(datagram.ttl == 255)
            #expect(datagram.message == message)
            let decoded = VRRPCodec.decode(datagram.message, source: datagram.source, destination: datagram.destination,
                                           ttl: datagram.ttl, policy: Lab.policy(.v4))
            #expect(try decoded.get() == VRRPAdvertisement(vrid: 51, priority: 150, maxAdvertInterval: .milliseconds(100),
                                                           addresses: [Lab.address("198.18.201.10")]))
            // Multicast loop is off: the sender does not hear itself.
            #expect(try await a.run { try sender.receive() }.isEmpty)
        }
    }

    @Test("unicast advert to a peer address arrives with that destination and TTL 255")
    func unicastAdvert() async throws {
        try await Lab.withPair { a, b in
            let sender = try await a.run { try VRRPSocket(interface: Lab.interface, family: .v4) }
            let receiver = try await b.run { try VRRPSocket(interface: Lab.interface, family: .v4) }
            let message = Lab.advert(from: Lab.addressA, to: Lab.addressB)
            try await a.run { try sender.send(message, to: Lab.addressB) }

            let received = try await b.run { try Lab.receiveNext(receiver) }
            #expect(received == [ReceivedDatagram(source: Lab.addressA, destination: Lab.addressB, ttl: 255, message: message)])
            let decoded = VRRPCodec.decode(message, source: Lab.addressA, destination: Lab.addressB, ttl: received.first?.ttl ?? 0,
                                           policy: Lab.policy(.v4))
            #expect(throws: Never.self) { try decoded.get() }
        }
    }

    @Test("sourceAddress picks the sender address (IP_PKTINFO), for multicast and unicast")
    func sourceAddress() async throws {
        try await Lab.withPair { a, b in
            let sender = try await a.run {
                try VRRPSocket(interface: Lab.interface, family: .v4, sourceAddress: Lab.secondAddressA)
            }
            let receiver = try await b.run { try VRRPSocket(interface: Lab.interface, family: .v4) }
            for destination in [VRRPCodec.multicastGroupIPv4, Lab.addressB] {
                let message = Lab.advert(from: Lab.secondAddressA, to: destination)
                try await a.run { try sender.send(message, to: destination) }
                let received = try await b.run { try Lab.receiveNext(receiver) }
                #expect(received.map(\.source) == [Lab.secondAddressA], "to \(destination)")
                #expect(received.first.map {
                    (try? VRRPCodec.decode($0.message, source: $0.source, destination: $0.destination, ttl: $0.ttl,
                                           policy: Lab.policy(.v4)).get()) != nil
                } == true)
            }
        }
    }

    @Test("an advert sent with TTL 64 (python3 raw socket) is received with ttl 64 and the codec drops it")
    func foreignTTL() async throws {
        try await Lab.withPair { a, b in
            let receiver = try await b.run { try VRRPSocket(interface: Lab.interface, family: .v4) }
            for destination in [VRRPCodec.multicastGroupIPv4, Lab.addressB] {
                let message = Lab.advert(from: Lab.addressA, to: destination)
                try await a.run { try sendWithPython(message, to: destination, ttl: 64) }
                let received = try await b.run { try Lab.receiveNext(receiver) }
                #expect(received == [ReceivedDatagram(source: Lab.addressA, destination: destination, ttl: 64,
                                                      message: message)])
                let decoded = VRRPCodec.decode(message, source: Lab.addressA, destination: destination, ttl: 64,
                                               policy: Lab.policy(.v4))
                #expect(throws: VRRPDropReason.ttl) { try decoded.get() }
            }
        }
    }

    @Test("receive drains the queued datagrams in order, honours limit, and returns [] when empty")
    func drainsQueue() async throws {
        try await Lab.withPair { a, b in
            let sender = try await a.run { try VRRPSocket(interface: Lab.interface, family: .v4) }
            let receiver = try await b.run { try VRRPSocket(interface: Lab.interface, family: .v4) }
            let group = VRRPCodec.multicastGroupIPv4
            let messages = (1...10).map { Lab.advert(priority: UInt8($0), from: Lab.addressA, to: group) }

            // One packet first, to learn what one queued datagram costs in the receive queue.
            try await a.run { try sender.send(messages[0], to: group) }
            let perDatagram = try await b.run { () throws -> UInt32 in
                guard Lab.waitReadable(receiver.fileDescriptor) else { return 0 }
                defer { _ = try? receiver.receive() }
                return Lab.queuedBytes(receiver.fileDescriptor)
            }
            try #require(perDatagram > 0)

            try await a.run { for message in messages { try sender.send(message, to: group) } }
            let queued = try await b.run { waitForQueue(receiver, bytes: perDatagram * 10) }
            try #require(queued, "10 datagrams never all reached the receive queue")

            let batches = try await b.run { () throws -> [[ReceivedDatagram]] in
                [try receiver.receive(limit: 4), try receiver.receive(), try receiver.receive()]
            }
            #expect(batches.map(\.count) == [4, 6, 0])
            #expect(batches.joined().map(\.message) == messages)
            #expect(batches.joined().allSatisfy { $0.ttl == 255 && $0.destination == group })
            #expect(receiver.discardedCount == 0)
        }
    }

    @Test("unknown or impossible interface names throw interfaceNotFound")
    func interfaceNotFound() async throws {
        try await Lab.withPair { a, _ in
            let errors = try await a.run { () -> [VRRPSocketError?] in
                ["hactl-nope0", "", String(repeating: "x", count: 16)].map { (name) -> VRRPSocketError? in
                    do throws(VRRPSocketError) {
                        _ = try VRRPSocket(interface: name, family: .v4)
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            #expect(errors == [.interfaceNotFound("hactl-nope0"), .interfaceNotFound(""),
                               .interfaceNotFound(String(repeating: "x", count: 16))])
            #expect(errors.first??.description == "network interface 'hactl-nope0' not found")
        }
    }

    @Test("the socket is configured as promised: TTLs, loop, TOS, device, buffer, non-blocking, close-on-exec")
    func options() async throws {
        try await Lab.withPair { a, _ in
            let socket = try await a.run { try VRRPSocket(interface: Lab.interface, family: .v4) }
            let fd = socket.fileDescriptor
            let ip = Int32(IPPROTO_IP)
            #expect(try SystemCall.intOption(fd, ip, IP_TTL) == 255)
            #expect(try SystemCall.intOption(fd, ip, IP_MULTICAST_TTL) & 0xFF == 255)
            #expect(try SystemCall.intOption(fd, ip, IP_MULTICAST_LOOP) & 0xFF == 0)
            #expect(try SystemCall.intOption(fd, ip, IP_TOS) == 0xC0)
            #expect(try SystemCall.intOption(fd, ip, IP_MULTICAST_ALL) == 0)
            #expect(try SystemCall.intOption(fd, SOL_SOCKET, SO_RCVBUF) >= VRRPSocket.kernelReceiveBuffer)
            #expect(boundDevice(fd) == Lab.interface)
            #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
            #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
            #expect(socket.interfaceIndex > 0)
        }
    }

    @Test("after close, send and receive fail with EBADF and the error carries the strerror text")
    func closedSocket() async throws {
        try await Lab.withPair { a, _ in
            let socket = try await a.run { try VRRPSocket(interface: Lab.interface, family: .v4) }
            socket.close()
            socket.close()
            #expect(socket.fileDescriptor == -1)
            let message = Lab.advert(from: Lab.addressA, to: VRRPCodec.multicastGroupIPv4)
            #expect(throws: VRRPSocketError.system(call: "sendmsg", errno: EBADF)) {
                try socket.send(message, to: VRRPCodec.multicastGroupIPv4)
            }
            #expect(throws: VRRPSocketError.system(call: "recvmsg", errno: EBADF)) { try socket.receive() }
            #expect(VRRPSocketError.system(call: "sendmsg", errno: EAGAIN).description
                == "sendmsg: Resource temporarily unavailable (errno \(EAGAIN))")
            #expect(VRRPSocketError.system(call: "sendmsg", errno: EAGAIN).wouldBlock)
            #expect(!VRRPSocketError.system(call: "sendmsg", errno: EBADF).wouldBlock)
        }
    }
}

// MARK: - Helpers (run on a NamespaceThread)

/// The errno of `sendto(224.0.0.18)` from a raw socket that names no interface (0 if it worked).
private func plainMulticastSendError() -> Int32 {
    let fd = socket(AF_INET, Int32(3) /* SOCK_RAW: the enum is hidden when CNetlink is imported in this module */, Int32(VRRPCodec.ipProtocol))
    guard fd >= 0 else { return -errno }
    defer { close(fd) }
    let address = SocketAddress(VRRPCodec.multicastGroupIPv4)
    let payload: [UInt8] = [0x31, 1, 100, 1, 0, 10, 0, 0, 198, 18, 201, 10]
    let sent = address.withSockaddr { sendto(fd, payload, payload.count, 0, $0, $1) }
    return sent >= 0 ? 0 : errno
}

/// Sends `message` from a python3 raw socket with the given TTL (unicast and multicast), out of the
/// namespace's vrrp0 by naming A's address as the multicast interface.
func sendWithPython(_ message: [UInt8], to destination: IPAddress, ttl: Int) throws {
    let script = destination.isIPv4 ? """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
        ttl = int(sys.argv[3])
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("198.18.201.1"))
        s.sendto(bytes.fromhex(sys.argv[1]), (sys.argv[2], 0))
        """ : """
        import socket, sys
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 112)
        ttl = int(sys.argv[3])
        index = socket.if_nametoindex("vrrp0")
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, ttl)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        s.sendto(bytes.fromhex(sys.argv[1]), (sys.argv[2], 0, 0, index))
        """
    let hex = message.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    // The thread is in the namespace, and a child inherits it: no `ip netns exec` needed.
    try SocketLab.run(["python3", "-c", script, hex, destination.description, String(ttl)])
}

/// Waits (bounded) until the receive queue holds `bytes`; the datagrams stay queued.
private func waitForQueue(_ socket: VRRPSocket, bytes: UInt32) -> Bool {
    let deadline = ContinuousClock.now + .seconds(2)
    while SocketLab.queuedBytes(socket.fileDescriptor) < bytes {
        guard ContinuousClock.now < deadline else { return false }
        sched_yield()
    }
    return true
}

/// The `SO_BINDTODEVICE` interface name.
private func boundDevice(_ fd: Int32) -> String? {
    var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE))
    var length = socklen_t(name.count)
    guard getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, &name, &length) == 0 else { return nil }
    return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
