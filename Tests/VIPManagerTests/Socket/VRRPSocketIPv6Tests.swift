import Foundation
import HACore
import Testing
@testable import VIPManager

/// VRRPSocket over IPv6 against the real kernel: IPv6 is enabled only inside the test's own
/// namespaces, with link-local addresses and 2001:2::/64 (benchmarking) on the veth.
@Suite("VRRPSocket IPv6 (real kernel, root)", .serialized, .enabled(if: getuid() == 0, "needs root: network namespaces and raw sockets"))
struct VRRPSocketIPv6Tests {
    typealias Lab = SocketLab

    @Test("advert to ff02::12 arrives with hop limit 255, destination ff02::12, link-local source; decodes")
    func multicastAdvert() async throws {
        try await Lab.withPair(ipv6: true) { a, b in
            let sender = try await a.run {
                try VRRPSocket(interface: Lab.interface, family: .v6, sourceAddress: Lab.linkLocalA)
            }
            let receiver = try await b.run { try VRRPSocket(interface: Lab.interface, family: .v6) }
            let group = VRRPCodec.multicastGroupIPv6
            let message = Lab.advert(from: Lab.linkLocalA, to: group)
            try await a.run { try sender.send(message, to: group) }

            let received = try await b.run { try Lab.receiveNext(receiver) }
            #expect(received == [ReceivedDatagram(source: Lab.linkLocalA, destination: group, ttl: 255, message: message)])
            let decoded = VRRPCodec.decode(message, source: Lab.linkLocalA, destination: group,
                                           ttl: received.first?.ttl ?? 0, policy: Lab.policy(.v6))
            #expect(try decoded.get().addresses == [Lab.address("2001:2::10")])
            #expect(try await a.run { try sender.receive() }.isEmpty, "multicast loop must be off")
        }
    }

    @Test("without sourceAddress the kernel sends ff02::12 adverts from the link-local address")
    func multicastDefaultSource() async throws {
        try await Lab.withPair(ipv6: true) { a, b in
            let sender = try await a.run { try VRRPSocket(interface: Lab.interface, family: .v6) }
            let receiver = try await b.run { try VRRPSocket(interface: Lab.interface, family: .v6) }
            let group = VRRPCodec.multicastGroupIPv6
            try await a.run { try sender.send(Lab.advert(from: Lab.linkLocalA, to: group), to: group) }
            let received = try await b.run { try Lab.receiveNext(receiver) }
            #expect(received.map(\.source) == [Lab.linkLocalA])
            #expect(received.map(\.ttl) == [255])
        }
    }

    @Test("unicast adverts to a link-local and a global peer address keep their destination",
          arguments: [("fe80::1", "fe80::2"), ("2001:2::1", "2001:2::2")])
    func unicastAdvert(source: String, destination: String) async throws {
        let source = Lab.address(source), destination = Lab.address(destination)
        try await Lab.withPair(ipv6: true) { a, b in
            let sender = try await a.run {
                try VRRPSocket(interface: Lab.interface, family: .v6, sourceAddress: source)
            }
            let receiver = try await b.run { try VRRPSocket(interface: Lab.interface, family: .v6) }
            let message = Lab.advert(from: source, to: destination)
            try await a.run { try sender.send(message, to: destination) }
            let received = try await b.run { try Lab.receiveNext(receiver) }
            #expect(received == [ReceivedDatagram(source: source, destination: destination, ttl: 255, message: message)])
            let decoded = VRRPCodec.decode(message, source: source, destination: destination, ttl: 255,
                                           policy: Lab.policy(.v6))
            #expect(throws: Never.self) { try decoded.get() }
        }
    }

    @Test("an IPv6 advert sent with hop limit 64 (python3) is received with ttl 64")
    func foreignHopLimit() async throws {
        try await Lab.withPair(ipv6: true) { a, b in
            let receiver = try await b.run { try VRRPSocket(interface: Lab.interface, family: .v6) }
            let group = VRRPCodec.multicastGroupIPv6
            let message = Lab.advert(from: Lab.linkLocalA, to: group)
            try await a.run { try sendWithPython(message, to: group, ttl: 64) }
            let received = try await b.run { try Lab.receiveNext(receiver) }
            #expect(received == [ReceivedDatagram(source: Lab.linkLocalA, destination: group, ttl: 64, message: message)])
            let decoded = VRRPCodec.decode(message, source: Lab.linkLocalA, destination: group, ttl: 64,
                                           policy: Lab.policy(.v6))
            #expect(throws: VRRPDropReason.ttl) { try decoded.get() }
        }
    }

    @Test("the IPv6 socket is configured as promised: hop limits, loop, traffic class, ancillary data")
    func options() async throws {
        try await Lab.withPair(ipv6: true) { a, _ in
            let socket = try await a.run { try VRRPSocket(interface: Lab.interface, family: .v6) }
            let fd = socket.fileDescriptor
            let ipv6 = Int32(IPPROTO_IPV6)
            #expect(try SystemCall.intOption(fd, ipv6, IPV6_UNICAST_HOPS) == 255)
            #expect(try SystemCall.intOption(fd, ipv6, IPV6_MULTICAST_HOPS) == 255)
            #expect(try SystemCall.intOption(fd, ipv6, IPV6_MULTICAST_LOOP) == 0)
            #expect(try SystemCall.intOption(fd, ipv6, IPV6_MULTICAST_IF) == socket.interfaceIndex)
            #expect(try SystemCall.intOption(fd, ipv6, IPV6_TCLASS) == 0xC0)
            #expect(try SystemCall.intOption(fd, ipv6, IPV6_RECVHOPLIMIT) == 1)
            #expect(try SystemCall.intOption(fd, ipv6, IPV6_RECVPKTINFO) == 1)
        }
    }
}
