import Testing

@testable import HACore

/// Issue 11 item 7: IPv6 VIPs on IPv4 controllers are valid (VRRPv3 sends them from the interface's
/// link-local address); VRRPv2 with IPv6 and IPv4/IPv6 mixed in one virtual router are errors.
@Suite("Config: IPv6 VIPs")
struct VIPIPv6ConfigTests {
    static let head = """
        cluster:
          name: lab
          secret_file: cluster.key
        controllers:
          ctl1: { address: 198.18.0.11 }
          ctl2: { address: 198.18.0.12 }
        vips:

        """

    @Test("an IPv6 VIP on IPv4 controllers is valid, next to an IPv4 VIP with the same VRID on the same interface")
    func ipv6OnIPv4Controllers() throws {
        let secrets = try SecretsDirectory()
        let config = try secrets.parse(Self.head + """
              - name: public4
                vrid: 51
                interface: eth0
                addresses: [198.18.0.10/24]
                priorities: { ctl1: 150, ctl2: 100 }
              - name: public6
                vrid: 51
                interface: eth0
                addresses: ["2001:2::10/64", "2001:2::11/64"]
                priorities: { ctl1: 150, ctl2: 100 }

            """)
        #expect(config.vips.map(\.name) == ["public4", "public6"])
        #expect(config.vips[1].version == 3)
        #expect(config.vips[1].addresses.allSatisfy { !$0.address.isIPv4 })
    }

    @Test("version 2 with IPv6 addresses is an error at the version, FILE:LINE:COL")
    func versionTwo() throws {
        let secrets = try SecretsDirectory()
        let problems = secrets.problems(Self.head + """
              - name: public6
                vrid: 51
                interface: eth0
                addresses: ["2001:2::10/64"]
                priorities: { ctl1: 150, ctl2: 100 }
                version: 2

            """)
        #expect(problems == ["$DIR/cluster.yaml:13:14: version 2 (VRRPv2) carries IPv4 only; use version 3 for IPv6 addresses"])
    }

    @Test("IPv4 and IPv6 in one VRRP instance is an error (RFC 5798: one family per virtual router)")
    func mixedFamilies() throws {
        let secrets = try SecretsDirectory()
        let problems = secrets.problems(Self.head + """
              - name: both
                vrid: 51
                interface: eth0
                addresses: ["2001:2::10/64", 198.18.0.10/24]
                priorities: { ctl1: 150, ctl2: 100 }

            """)
        #expect(problems == ["$DIR/cluster.yaml:11:34: addresses mix IPv4 and IPv6; use one VIP per address family"])
    }

    @Test("unicast IPv6 adverts need IPv6 controller addresses: multicast ff02::12 is the way on IPv4 controllers")
    func unicastNeedsIPv6Peers() throws {
        let secrets = try SecretsDirectory()
        let problems = secrets.problems(Self.head + """
              - name: public6
                vrid: 51
                interface: eth0
                addresses: ["2001:2::10/64"]
                priorities: { ctl1: 150, ctl2: 100 }
                unicast: true

            """)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("$DIR/cluster.yaml:13:14: unicast needs controller addresses of the VIP's family (IPv6)") == true)
    }
}
