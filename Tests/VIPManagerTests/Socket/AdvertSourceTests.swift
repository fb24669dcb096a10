import Glibc
import HACore
import Testing
@testable import VIPManager

/// Where IPv6 adverts come from: the interface's link-local address, once duplicate address
/// detection is done (RFC 9568 §5.1.2.1). Pure parsing of /proc/net/if_inet6 here; the real-kernel
/// lookup runs in a namespace below.
@Suite("Advert source (link-local lookup)")
struct AdvertSourceTests {
    static func line(_ hex: String, _ flags: String, _ name: String) -> String {
        "\(hex) 05 40 20 \(flags) \(String(repeating: " ", count: 8))\(name)"
    }

    static let ll1 = "fe800000000000000000000000000001"
    static let llHigh = "fe80000000000000505400fffe000012"
    static let global = "20010002000000000000000000000010"

    @Test("the usable link-local of the interface, not its global address or another interface's")
    func picksLinkLocal() {
        let table = [Self.line(Self.global, "80", "eth0"), Self.line(Self.llHigh, "80", "eth0"),
                     Self.line(Self.ll1, "80", "eth1")].joined(separator: "\n")
        #expect(AdvertSource.linkLocal(in: table, interface: "eth0") == .ready(ip("fe80::5054:ff:fe00:12")))
        #expect(AdvertSource.linkLocal(in: table, interface: "eth1") == .ready(ip("fe80::1")))
    }

    @Test("several link-locals: the lowest, so the tie-break address is stable")
    func lowestWins() {
        let table = [Self.line(Self.llHigh, "80", "eth0"), Self.line(Self.ll1, "80", "eth0")].joined(separator: "\n")
        #expect(AdvertSource.linkLocal(in: table, interface: "eth0") == .ready(ip("fe80::1")))
    }

    @Test("tentative (DAD running) and DAD-failed link-locals are not usable: a reason, no address")
    func tentativeAndFailed() {
        let tentative = AdvertSource.linkLocal(in: Self.line(Self.ll1, "c0", "eth0"), interface: "eth0")
        #expect(tentative.address == nil)
        #expect("\(tentative)".contains("tentative"))
        let failed = AdvertSource.linkLocal(in: Self.line(Self.ll1, "88", "eth0"), interface: "eth0")
        #expect(failed.address == nil)
        #expect("\(failed)".contains("failed duplicate address detection"))
        // A usable one next to a tentative one is used.
        let both = [Self.line(Self.ll1, "c0", "eth0"), Self.line(Self.llHigh, "80", "eth0")].joined(separator: "\n")
        #expect(AdvertSource.linkLocal(in: both, interface: "eth0") == .ready(ip("fe80::5054:ff:fe00:12")))
    }

    @Test("no link-local (IPv6 off, only a global address, empty or garbage table): a clear reason")
    func missing() {
        for table in ["", Self.line(Self.global, "80", "eth0"), "garbage\n\n zz 1 2 3 4 eth0",
                      "fe80000000000000000000000000000 05 40 20 80 eth0", Self.line(Self.ll1, "zz", "eth0")] {
            let result = AdvertSource.linkLocal(in: table, interface: "eth0")
            #expect(result.address == nil, "\(table)")
            #expect("\(result)".contains("no IPv6 link-local address on eth0"), "\(table)")
        }
    }

    @Test("IPv4 VIP: the controller's IPv4 address is the source, without any lookup")
    func ipv4Controller() {
        #expect(AdvertSource.resolve(family: .v4, interface: "nonexistent0", controllerAddress: ip("198.18.0.11"))
                == .ready(ip("198.18.0.11")))
    }

    @Test("adopting a source updates the state machine's tie-break address; an unchanged one is no change")
    func adoptUpdatesPrimary() {
        let config = VIPConfig(name: "v6", vrid: 61, interface: "eth0", addresses: [IPNetwork("2001:2::10/64")!],
                               priorities: ["ctl1": 100])
        let machine = VRRPStateMachine(parameters: .init(vrid: 61, basePriority: 100, advertInterval: .milliseconds(100),
                                                         primaryAddress: ip("198.18.0.11")))
        var instance = VIPInstance(
            config: config, index: 0, machine: machine, policy: VRRPReceivePolicy(vrids: [61], family: .v6),
            socketKey: .init(interface: "eth0", family: .v6), destinations: [VRRPCodec.multicastGroupIPv6],
            advertSource: .unavailable(reason: "not yet"), authPass: nil, label: nil,
            priority: .init(priority: 100, fault: true, reasons: ["not yet"]))
        let first = instance.adoptAdvertSource(.ready(ip("fe80::11")))
        #expect(first)
        #expect(instance.machine.parameters.primaryAddress == ip("fe80::11"))
        let same = instance.adoptAdvertSource(.ready(ip("fe80::11")))
        #expect(!same)
        let gone = instance.adoptAdvertSource(.unavailable(reason: "gone"))
        #expect(gone)
        #expect(instance.advertSource.address == nil)
    }
}

/// The same lookup against a real kernel, and the socket errors that replaced traps.
@Suite("Advert source and socket errors (real kernel, root)", .serialized, .enabled(if: getuid() == 0, "needs root: network namespaces and raw sockets"))
struct AdvertSourceKernelTests {
    typealias Lab = SocketLab

    @Test("resolve finds the namespace's link-local; without IPv6 it reports why instead of trapping")
    func resolveInNamespace() async throws {
        try await Lab.withPair(ipv6: true) { a, _ in
            let found = try await a.run {
                AdvertSource.resolve(family: .v6, interface: Lab.interface, controllerAddress: Lab.addressA)
            }
            #expect(found == .ready(Lab.linkLocalA))
        }
        try await Lab.withPair(ipv6: false) { a, _ in
            _ = try await a.run { try Lab.run(["sysctl", "-qw", "net.ipv6.conf.\(Lab.interface).disable_ipv6=1"]) }
            let missing = try await a.run {
                AdvertSource.resolve(family: .v6, interface: Lab.interface, controllerAddress: Lab.addressA)
            }
            #expect(missing.address == nil)
            let v4 = try await a.run {
                AdvertSource.resolve(family: .v4, interface: Lab.interface, controllerAddress: Lab.linkLocalA)
            }
            #expect(v4 == .ready(Lab.addressA), "an IPv4 VIP on IPv6 controllers sends from the interface's IPv4 address")
        }
    }

    @Test("a source or destination of the other family is a thrown error, not a trap")
    func familyErrors() async throws {
        try await Lab.withPair(ipv6: true) { a, _ in
            let result = try await a.run { () -> [Bool] in
                var thrown: [Bool] = []
                do { _ = try VRRPSocket(interface: Lab.interface, family: .v6, sourceAddress: Lab.addressA); thrown.append(false) } catch {
                    thrown.append(String(describing: error).contains("does not match"))
                }
                let socket = try VRRPSocket(interface: Lab.interface, family: .v6)
                do { try socket.send([0], to: VRRPCodec.multicastGroupIPv4); thrown.append(false) } catch {
                    thrown.append(String(describing: error).contains("does not match"))
                }
                do { try socket.send([0], to: VRRPCodec.multicastGroupIPv6, from: Lab.addressA); thrown.append(false) } catch {
                    thrown.append(String(describing: error).contains("does not match"))
                }
                #expect(try socket.receive(limit: 0).isEmpty, "a limit below 1 is clamped, not a trap")
                return thrown
            }
            #expect(result == [true, true, true])
        }
    }

    @Test("a per-send link-local source overrides the socket's and is what the receiver sees")
    func perSendSource() async throws {
        try await Lab.withPair(ipv6: true) { a, b in
            let sender = try await a.run { try VRRPSocket(interface: Lab.interface, family: .v6, sourceAddress: Lab.globalA) }
            let receiver = try await b.run { try VRRPSocket(interface: Lab.interface, family: .v6) }
            let group = VRRPCodec.multicastGroupIPv6
            let message = Lab.advert(from: Lab.linkLocalA, to: group)
            try await a.run { try sender.send(message, to: group, from: Lab.linkLocalA) }
            let received = try await b.run { try Lab.receiveNext(receiver) }
            #expect(received.map(\.source) == [Lab.linkLocalA])
            let policy = VRRPReceivePolicy(vrids: [51], allowedSources: [Lab.addressA], family: .v6)
            let decoded = VRRPCodec.decode(message, source: received.first?.source ?? Lab.globalA, destination: group,
                                           ttl: received.first?.ttl ?? 0, policy: policy)
            #expect((try? decoded.get()) != nil, "accepted from a link-local sender with only IPv4 controllers allowed")
        }
    }
}
