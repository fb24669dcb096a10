import Dispatch
import Foundation
import HACore
import Testing
@testable import VIPManager

/// Send -> receive latency over the veth, as the engine would see it: the receiving thread sleeps in
/// `poll` on the socket and is woken by the advert. 1000 adverts in lock step; the median is reported.
@Suite("VRRPSocket latency (real kernel, root)", .serialized, .enabled(if: getuid() == 0, "needs root: network namespaces and raw sockets"))
struct VRRPSocketLatencyTests {
    typealias Lab = SocketLab
    static let rounds = 1000

    @Test("median send->receive latency of 1000 multicast adverts over the veth", arguments: [false, true])
    func latency(ipv6: Bool) async throws {
        try await Lab.withPair(ipv6: ipv6) { a, b in
            let family: VRRPSocket.Family = ipv6 ? .v6 : .v4
            let source = ipv6 ? Lab.linkLocalA : Lab.addressA
            let group = ipv6 ? VRRPCodec.multicastGroupIPv6 : VRRPCodec.multicastGroupIPv4
            let sender = try await a.run {
                try VRRPSocket(interface: Lab.interface, family: family, sourceAddress: source)
            }
            let receiver = try await b.run { try VRRPSocket(interface: Lab.interface, family: family) }
            let message = Lab.advert(from: source, to: group)
            let arrived = DispatchSemaphore(value: 0)

            async let receiveTimes = b.run { () throws -> [ContinuousClock.Instant] in
                var times: [ContinuousClock.Instant] = []
                while times.count < Self.rounds, Lab.waitReadable(receiver.fileDescriptor, timeout: 1000) {
                    for datagram in try receiver.receive() where datagram.message == message {
                        times.append(.now)
                        arrived.signal()
                    }
                }
                return times
            }
            let sendTimes = try await a.run { () throws -> [ContinuousClock.Instant] in
                var times: [ContinuousClock.Instant] = []
                for _ in 0..<Self.rounds {
                    times.append(.now)
                    try sender.send(message, to: group)
                    guard arrived.wait(timeout: .now() + 1) == .success else { break }
                }
                return times
            }
            let received = try await receiveTimes
            try #require(sendTimes.count == Self.rounds && received.count == Self.rounds,
                         "sent \(sendTimes.count), received \(received.count)")

            let micros = zip(sendTimes, received).map { Self.microseconds($1 - $0) }.sorted()
            let median = micros[micros.count / 2]
            print("""
                VRRPSocket \(ipv6 ? "IPv6" : "IPv4") send->receive over veth, \(Self.rounds) adverts: \
                median \(median) µs, p90 \(micros[micros.count * 9 / 10]) µs, \
                p99 \(micros[micros.count * 99 / 100]) µs, min \(micros[0]) µs, max \(micros[micros.count - 1]) µs
                """)
            // Printed above; asserted only loosely (a lost wake-up or a poll interval would show as
            // a median near its period, not a busy machine's scheduling delay).
            #expect(median < 100_000, "median \(median) µs")
            #expect(receiver.discardedCount == 0)
        }
    }

    static func microseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000)
    }
}
