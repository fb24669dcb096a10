#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import HACore
import Testing
import VIPManager

/// AddressManager against the real kernel, as root, in namespaces each test creates.
@Suite("AddressManager (kernel, netns)", .enabled(if: getuid() == 0, "needs root: network namespaces and netlink address changes"))
struct AddressManagerTests {
    static let vip = IPNetwork("198.18.200.10/24")!
    static let hostAddress = "198.18.200.1/24"

    @Test func addsListsAndRemovesIPv4VIPWithLabel() async throws {
        try await NetnsLab.run(namespaces: 1) { lab in
            try lab.veth("hv0", in: 0, peer: "hv1", in: 0)
            // The node's own address first, so the VIP is a secondary, as on a controller.
            try lab.ip(0, "addr add \(Self.hostAddress) dev hv0")
            let manager = try AddressManager()

            try manager.add(Self.vip, interface: "hv0", label: "hv0:public")

            #expect(try manager.addresses(on: "hv0").contains(Self.vip))
            #expect(try !manager.addresses(on: "hv1").contains(Self.vip))
            let shown = try lab.ip(0, "-o -4 addr show dev hv0")
            #expect(shown.contains("inet 198.18.200.10/24 scope global secondary hv0:public"), "\(shown)")

            try manager.remove(Self.vip, interface: "hv0")

            #expect(try !manager.addresses(on: "hv0").contains(Self.vip))
            let after = try lab.ip(0, "-o -4 addr show dev hv0")
            #expect(!after.contains("198.18.200.10"), "\(after)")
            #expect(after.contains("inet \(Self.hostAddress)"), "the node's own address stays: \(after)")
        }
    }

    @Test func addAndRemoveAreIdempotent() async throws {
        try await NetnsLab.run(namespaces: 1) { lab in
            try lab.veth("hv0", in: 0, peer: "hv1", in: 0)
            let manager = try AddressManager()

            try manager.add(Self.vip, interface: "hv0", label: "hv0:public")
            try manager.add(Self.vip, interface: "hv0", label: "hv0:public")
            try manager.add(Self.vip, interface: "hv0", label: nil)
            #expect(try manager.addresses(on: "hv0").filter { $0 == Self.vip }.count == 1)

            try manager.remove(Self.vip, interface: "hv0")
            try manager.remove(Self.vip, interface: "hv0")
            try manager.remove(IPNetwork("198.18.200.99/24")!, interface: "hv0")
            #expect(try !manager.addresses(on: "hv0").contains(Self.vip))
        }
    }

    @Test func seesChangesMadeByOthers() async throws {
        try await NetnsLab.run(namespaces: 1) { lab in
            try lab.veth("hv0", in: 0, peer: "hv1", in: 0)
            let manager = try AddressManager()
            let leftover = IPNetwork("198.18.200.20/24")!

            // A VIP left behind without a label (crashed agent, operator) is listed and removable.
            try lab.ip(0, "addr add \(leftover) dev hv0")
            #expect(try manager.addresses(on: "hv0").contains(leftover))
            try manager.remove(leftover, interface: "hv0")
            #expect(try !lab.ip(0, "-o -4 addr show dev hv0").contains("198.18.200.20"))

            // An address someone else deleted is gone from the next listing.
            try manager.add(Self.vip, interface: "hv0", label: "hv0:public")
            try lab.ip(0, "addr del \(Self.vip) dev hv0")
            #expect(try !manager.addresses(on: "hv0").contains(Self.vip))
        }
    }

    @Test func unknownInterfaceIsInterfaceNotFound() async throws {
        try await NetnsLab.run(namespaces: 1) { _ in
            let manager = try AddressManager()
            for name in ["hactl-nope0", "", "longer-than-15-bytes"] {
                #expect(throws: NetlinkError.interfaceNotFound(name)) { try manager.interfaceIndex(name) }
            }
            let missing = NetlinkError.interfaceNotFound("nope0")
            #expect(throws: missing) { try manager.add(Self.vip, interface: "nope0", label: "nope0:vip") }
            #expect(throws: missing) { try manager.remove(Self.vip, interface: "nope0") }
            #expect(throws: missing) { try manager.addresses(on: "nope0") }
            #expect(throws: missing) { try manager.hardwareAddress("nope0") }
            #expect(throws: missing) { try manager.isUp("nope0") }
            #expect(throws: missing) { try Announcer(interface: "nope0", manager: manager) }
        }
    }

    @Test func refusalsCarryLibnlCodeAndText() async throws {
        try await NetnsLab.run(namespaces: 1) { lab in
            try lab.veth("hv0", in: 0, peer: "hv1", in: 0)
            let manager = try AddressManager()

            // Labels are at most 15 bytes (IFNAMSIZ - 1); libnl refuses before the kernel sees it.
            let tooLong = #expect(throws: NetlinkError.self) {
                try manager.add(Self.vip, interface: "hv0", label: "hv0:much-too-long")
            }
            #expect(tooLong == .operation(op: "set label hv0:much-too-long", code: NLE_RANGE,
                                          message: String(cString: nl_geterror(NLE_RANGE))))

            // The kernel refuses IPv6 on an interface with IPv6 disabled (EACCES).
            try lab.sysctl(0, ["net.ipv6.conf.hv0.disable_ipv6=1"])
            let refused = #expect(throws: NetlinkError.self) {
                try manager.add(IPNetwork("2001:2:0:c8::10/64")!, interface: "hv0", label: nil)
            }
            #expect(refused == .operation(op: "add 2001:2:0:c8::10/64 to hv0", code: NLE_NOACCESS,
                                          message: String(cString: nl_geterror(NLE_NOACCESS))))
            #expect(refused?.description == "add 2001:2:0:c8::10/64 to hv0: \(String(cString: nl_geterror(NLE_NOACCESS))) (\(NLE_NOACCESS))")
        }
    }

    @Test func hardwareAddressAndIndexOfVeth() async throws {
        try await NetnsLab.run(namespaces: 1) { lab in
            try lab.veth("hv0", in: 0, peer: "hv1", in: 0, mac: "02:48:41:c8:00:01")
            let manager = try AddressManager()

            #expect(try manager.hardwareAddress("hv0") == [0x02, 0x48, 0x41, 0xC8, 0x00, 0x01])
            let index = try manager.interfaceIndex("hv0")
            let shown = try lab.ip(0, "-o link show dev hv0")
            #expect(shown.hasPrefix("\(index): hv0@"), "\(shown)")

            // A tun device has no link-layer address at all.
            try lab.ip(0, "tuntap add dev ht0 mode tun")
            let noMAC = #expect(throws: NetlinkError.self) { try manager.hardwareAddress("ht0") }
            guard case .operation(_, let code, _) = noMAC else {
                Issue.record("expected an operation error, got \(String(describing: noMAC))")
                return
            }
            #expect(code == NLE_NOADDR)
        }
    }

    @Test func isUpFollowsAdminStateAndCarrier() async throws {
        try await NetnsLab.run(namespaces: 1) { lab in
            try lab.veth("hv0", in: 0, peer: "hv1", in: 0)
            let manager = try AddressManager()
            // Operational state follows `ip link set up` asynchronously (linkwatch).
            try lab.waitForKernel("hv0 running") { try manager.isUp("hv0") }

            try lab.ip(0, "link set hv0 down")
            #expect(try !manager.isUp("hv0"))

            try lab.ip(0, "link set hv0 up")
            try lab.waitForKernel("hv0 running again") { try manager.isUp("hv0") }

            // Admin up but no carrier (the peer went down): not up either.
            try lab.ip(0, "link set hv1 down")
            try lab.waitForKernel("hv0 losing carrier") { try !manager.isUp("hv0") }
            #expect(try lab.ip(0, "-o link show dev hv0").contains("NO-CARRIER"))
        }
    }
}
