import Testing

@testable import HACore

@Suite struct NodeIdentityTests {
    enum Outcome: Sendable, Equatable {
        case node(String)
        case error(String)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var explicit: String?
        var hostname: String
        var local: [String]
        /// The controller found, or the exact error (`$DIR` for the temp directory).
        var expected: Outcome

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "explicit name", explicit: "ctl2", hostname: "ctl1", local: ["198.18.0.11"], expected: .node("ctl2")),
        Case(name: "explicit unknown name", explicit: "ctl9", hostname: "ctl1", local: ["198.18.0.11"],
             expected: .error("$DIR/cluster.yaml:4:1: node \"ctl9\" is not a controller in this file (controllers: ctl1, ctl2, ctl3)")),
        Case(name: "hostname", explicit: nil, hostname: "ctl3", local: ["198.18.0.11"], expected: .node("ctl3")),
        Case(name: "short hostname", explicit: nil, hostname: "ctl2.lab.example", local: [], expected: .node("ctl2")),
        Case(name: "local address", explicit: nil, hostname: "node-a", local: ["127.0.0.1", "198.18.0.13", "fe80::1"],
             expected: .node("ctl3")),
        Case(name: "several local controller addresses", explicit: nil, hostname: "node-a",
             local: ["198.18.0.12", "198.18.0.11"],
             expected: .error("$DIR/cluster.yaml:4:1: cannot tell which controller this node is: it has the addresses of several (ctl1 198.18.0.11, ctl2 198.18.0.12); use --node NAME")),
        Case(name: "nothing matches", explicit: nil, hostname: "node-a", local: ["127.0.0.1", "::1"],
             expected: .error("$DIR/cluster.yaml:4:1: cannot tell which controller this node is: hostname \"node-a\" names no controller and no controller address is local (controllers: ctl1 198.18.0.11, ctl2 198.18.0.12, ctl3 198.18.0.13); use --node NAME")),
    ]

    @Test(arguments: cases)
    func identifiesTheNode(_ testCase: Case) throws {
        let dir = try SecretsDirectory()
        let config = try dir.parse(minimalHead + "  ctl3: { address: 198.18.0.13 }\n")
        let local = testCase.local.map { IPAddress($0)! }
        let found: Outcome
        do {
            found = .node(try config.identifyNode(explicit: testCase.explicit, hostname: testCase.hostname, localAddresses: local).name)
        } catch {
            found = .error(error.description.replacingOccurrences(of: dir.path, with: "$DIR"))
        }
        #expect(found == testCase.expected)
    }
}
