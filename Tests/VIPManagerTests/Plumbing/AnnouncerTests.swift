#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import HACore
import Testing
import VIPManager

/// Announcer against the real kernel: what a neighbour on the other end of a veth receives.
@Suite("Announcer (kernel, netns)", .enabled(if: getuid() == 0, "needs root: network namespaces and packet sockets"))
struct AnnouncerTests {
    static let mac: [UInt8] = [0x02, 0x48, 0x41, 0xC8, 0x00, 0x01]
    static let macText = "02:48:41:c8:00:01"
    static let vip = IPNetwork("198.18.200.10/24")!
    static let vip6 = IPNetwork("2001:2:0:c8::10/64")!
    static let allNodes = IPAddress("ff02::1")!

    @Test func gratuitousARPReachesThePeer() async throws {
        try await NetnsLab.run(namespaces: 2) { lab in
            try lab.veth("hv0", in: 0, peer: "hv1", in: 1, mac: Self.macText)
            try lab.enter(1)
            let capture = try PacketCapture(interface: "hv1", etherType: PacketCapture.arp)
            try lab.enter(0)
            let manager = try AddressManager()
            let announcer = try Announcer(interface: "hv0", manager: manager)
            try lab.waitForKernel("hv0 running") { try manager.isUp("hv0") }
            try manager.add(Self.vip, interface: "hv0", label: "hv0:public")

            try announcer.announce(Self.vip.address)

            let vipBytes = Self.vip.address.bytes
            let frame = try #require(capture.first { $0.payload.count >= 28 && Array($0.payload[14..<18]) == vipBytes },
                                     "no ARP from \(Self.vip.address) arrived on hv1")
            let arp = frame.payload
            #expect(frame.packetType == UInt8(PACKET_BROADCAST), "Ethernet destination is broadcast")
            #expect(frame.source == Self.mac)
            #expect(Array(arp[0..<2]) == [0x00, 0x01], "hardware type Ethernet")
            #expect(Array(arp[2..<4]) == [0x08, 0x00], "protocol type IPv4")
            #expect(arp[4] == 6 && arp[5] == 4)
            #expect(Array(arp[6..<8]) == [0x00, 0x01], "operation: request")
            #expect(Array(arp[8..<14]) == Self.mac, "sender MAC")
            #expect(Array(arp[14..<18]) == vipBytes, "sender IP")
            #expect(Array(arp[18..<24]) == [UInt8](repeating: 0xFF, count: 6), "target MAC")
            #expect(Array(arp[24..<28]) == vipBytes, "target IP")
        }
    }

    @Test func ipv6VIPIsNotTentativeAndUnsolicitedNAReachesThePeer() async throws {
        try await NetnsLab.run(namespaces: 2) { lab in
            for index in 0..<2 {
                try lab.sysctl(index, ["net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0",
                                       "net.ipv6.conf.default.accept_dad=1", "net.ipv6.conf.default.dad_transmits=1",
                                       "net.ipv6.conf.default.forwarding=0"])
            }
            try lab.veth("hv0", in: 0, peer: "hv1", in: 1, mac: Self.macText)
            try lab.enter(1)
            let capture = try PacketCapture(interface: "hv1", etherType: PacketCapture.ipv6)
            try lab.enter(0)
            let manager = try AddressManager()
            let announcer = try Announcer(interface: "hv0", manager: manager)
            try lab.waitForKernel("hv0 running") { try manager.isUp("hv0") }

            try manager.add(Self.vip6, interface: "hv0", label: "hv0:public")
            try manager.add(Self.vip6, interface: "hv0", label: nil)
            #expect(try manager.addresses(on: "hv0").filter { $0 == Self.vip6 }.count == 1)
            let vipLine = try Self.addressLine(lab, "2001:2:0:c8::10/64")
            #expect(vipLine.map { !$0.contains("tentative") } == true, "NODAD: usable at once: \(vipLine ?? "absent")")
            // Control: the same interface does run DAD, so an address added without NODAD starts tentative.
            try lab.ip(0, "addr add 2001:2:0:c8::11/64 dev hv0")
            let controlLine = try Self.addressLine(lab, "2001:2:0:c8::11/64")
            #expect(controlLine.map { $0.contains("tentative") } == true, "\(controlLine ?? "absent")")

            try announcer.announce(Self.vip6.address)
            let frame = try #require(capture.first { Self.isNA(for: Self.vip6.address, $0.payload) },
                                     "no NA for \(Self.vip6.address) arrived on hv1")
            Self.expectUnsolicitedNA(frame, router: false)

            // A forwarding interface announces itself as a router, as the kernel's own NAs do.
            try lab.sysctl(0, ["net.ipv6.conf.hv0.forwarding=1"])
            let routerAnnouncer = try Announcer(interface: "hv0", manager: manager)
            try routerAnnouncer.announce(Self.vip6.address)
            let routerFrame = try #require(capture.first { Self.isNA(for: Self.vip6.address, $0.payload) },
                                           "no second NA arrived on hv1")
            Self.expectUnsolicitedNA(routerFrame, router: true)

            try manager.remove(Self.vip6, interface: "hv0")
            #expect(try !manager.addresses(on: "hv0").contains(Self.vip6))
        }
    }

    @Test func announceOnADownLinkThrowsWithErrno() async throws {
        try await NetnsLab.run(namespaces: 1) { lab in
            try lab.veth("hv0", in: 0, peer: "hv1", in: 0)
            let manager = try AddressManager()
            let announcer = try Announcer(interface: "hv0", manager: manager)
            try lab.ip(0, "link set hv0 down")
            let error = #expect(throws: NetlinkError.self) { try announcer.announce(Self.vip.address) }
            guard case .operation(_, let code, let message) = error else {
                Issue.record("expected an operation error, got \(String(describing: error))")
                return
            }
            #expect(code == ENETDOWN)
            #expect(message == String(cString: strerror(ENETDOWN)))
        }
    }

    /// The `ip -o -6 addr show dev hv0` line of `address`, if present.
    static func addressLine(_ lab: NetnsLab, _ address: String) throws -> String? {
        try lab.ip(0, "-o -6 addr show dev hv0").split(separator: "\n").first { $0.contains("inet6 \(address) ") }
            .map(String.init)
    }

    /// An IPv6 packet (no extension headers) carrying an ICMPv6 NA whose target is `target`.
    static func isNA(for target: IPAddress, _ packet: [UInt8]) -> Bool {
        packet.count >= 40 + 24 && packet[6] == 58 && packet[40] == 136 && Array(packet[48..<64]) == target.bytes
    }

    static func expectUnsolicitedNA(_ frame: PacketCapture.Frame, router: Bool) {
        let packet = frame.payload
        let icmp = Array(packet[40...])
        let source = IPAddress(bytes: packet[8..<24])!
        let destination = IPAddress(bytes: packet[24..<40])!
        #expect(frame.packetType == UInt8(PACKET_MULTICAST))
        #expect(frame.source == mac)
        #expect(packet[0] >> 4 == 6)
        #expect(packet[7] == 255, "hop limit")
        #expect(destination == allNodes)
        let linkLocal = IPNetwork("fe80::/10")!
        #expect(source == Self.vip6.address || linkLocal.contains(source), "source \(source) is an address of hv0")
        #expect(icmp.count == 32, "NA with exactly one option")
        #expect(icmp[1] == 0, "code")
        #expect(icmp[4] & 0x20 != 0, "Override set")
        #expect(icmp[4] & 0x40 == 0, "Solicited clear")
        #expect((icmp[4] & 0x80 != 0) == router, "Router flag follows forwarding")
        #expect(Array(icmp[24..<26]) == [2, 1], "target link-layer address option, 8 bytes")
        #expect(Array(icmp[26..<32]) == mac)
        #expect(checksum(icmp, source: source, destination: destination) == 0, "kernel-filled checksum verifies")
    }

    /// RFC 4443 checksum over the pseudo-header and message; 0 for a correct message.
    static func checksum(_ message: [UInt8], source: IPAddress, destination: IPAddress) -> UInt16 {
        let length = UInt32(message.count)
        var data = source.bytes + destination.bytes
        data += [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        data += [0, 0, 0, 58] + message
        if data.count % 2 == 1 { data.append(0) }
        var sum: UInt32 = 0
        for index in stride(from: 0, to: data.count, by: 2) {
            sum += UInt32(data[index]) << 8 | UInt32(data[index + 1])
        }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
