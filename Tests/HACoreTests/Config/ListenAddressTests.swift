import Testing

@testable import HACore

/// `cluster.listen_address` (SPEC §1): `controller` (default) or an IP address.
@Suite("cluster.listen_address")
struct ListenAddressTests {
    func config(_ listen: String?) -> String {
        """
        cluster:
          name: lab
          secret_file: cluster.key
        \(listen.map { "  listen_address: \($0)\n" } ?? "")controllers:
          ctl1: { address: 198.18.0.11 }
          ctl2: { address: 198.18.0.12 }

        """
    }

    @Test("absent means the controller address, resolved per node")
    func defaultIsController() throws {
        let dir = try SecretsDirectory()
        let parsed = try dir.parse(config(nil))
        #expect(parsed.cluster.listenAddress == .controller)
        let ctl2 = try #require(parsed.controller(named: "ctl2"))
        #expect(parsed.cluster.listenAddress.resolved(for: ctl2) == IPAddress("198.18.0.12"))
    }

    @Test("controller, an IPv4 and an IPv6 address are accepted", arguments: [
        ("controller", ListenAddress.controller),
        ("0.0.0.0", ListenAddress.address(IPAddress("0.0.0.0")!)),
        ("127.0.0.1", ListenAddress.address(IPAddress("127.0.0.1")!)),
        ("\"::\"", ListenAddress.address(IPAddress("::")!)),
    ])
    func accepted(_ text: String, _ expected: ListenAddress) throws {
        let dir = try SecretsDirectory()
        let parsed = try dir.parse(config(text))
        #expect(parsed.cluster.listenAddress == expected)
        let ctl1 = try #require(parsed.controller(named: "ctl1"))
        if case .address(let address) = expected {
            #expect(parsed.cluster.listenAddress.resolved(for: ctl1) == address)
        }
    }

    @Test("a bad value is a FILE:LINE:COL error", arguments: [
        ("controllers", "$DIR/cluster.yaml:4:19: bad listen_address \"controllers\": expected \"controller\" or an IP address"),
        ("198.18.0.300", "$DIR/cluster.yaml:4:19: bad listen_address \"198.18.0.300\": expected \"controller\" or an IP address"),
        ("[1]", "$DIR/cluster.yaml:4:19: expected \"controller\" or an address for listen_address, got a list"),
    ])
    func rejected(_ text: String, _ expected: String) throws {
        let dir = try SecretsDirectory()
        #expect(dir.problems(config(text)) == [expected])
    }
}
