import Foundation
import HACore
import Testing

/// Issue 11 items 1, 3 and 4 against real agents (the real HTTP server, not the in-process router):
/// the bypass spellings, other methods, signatures bound to another node or cluster, signed answers.
@Suite("Signed calls against real agents", .serialized)
struct SignedCallLabTests {
    @Test("non-canonical admin targets are 400, other methods 401, calls signed for ctl2 or another cluster refused by ctl1; a call for ctl1 gets a signed answer")
    func bypassSpellingsAndMisboundSignatures() throws {
        let lab = try Lab.up(prefix: "a1", name: "signed-a1")
        defer { lab.down() }
        try lab.agents()
        let config = try ClusterConfig.load(path: lab.config)
        let signer = try RequestSigner(secretFile: config.cluster.secretFile)
        let ctl1 = "http://198.18.0.11:9780"
        #expect(try lab.eventually { try lab.agentCheck("198.18.0.11", "node") == "up" })

        // --path-as-is: curl would otherwise remove the dot segments itself.
        for target in ["//v1/node/drain", "/v1//node/drain", "/./v1/node/drain", "/v1/../v1/node/drain",
                       "/v1%2Fnode/drain", "/%2E/v1/node/drain", "/v1/node/drain/"] {
            let r = try lab.curl(["--path-as-is", "-X", "POST", ctl1 + target])
            #expect(r.code == 400, "\(target): \(r)")
            #expect(r.body.hasPrefix("bad request: "), "\(target): \(r)")
        }
        for method in ["PUT", "DELETE", "PATCH"] {
            let r = try lab.curl(["-X", method, ctl1 + "/v1/node/drain"])
            #expect(r.code == 401, "\(method): \(r)")
        }
        func sign(node: String, cluster: String, nonce: String = RequestSigner.makeNonce()) -> String {
            signer.sign(method: "POST", path: "/v1/node/drain", body: [], node: node, cluster: cluster,
                        unixTime: Int64(Date().timeIntervalSince1970), nonce: nonce)
        }
        for (node, cluster) in [("ctl2", config.cluster.name), ("ctl1", config.cluster.name + "-other")] {
            let r = try lab.curl(["-X", "POST", "-H", "Authorization: " + sign(node: node, cluster: cluster), ctl1 + "/v1/node/drain"])
            #expect(r.code == 401, "signed for \(node)/\(cluster): \(r)")
            #expect(r.body.contains("bad signature"))
        }
        // Nothing of the above drained ctl1, and the refusals are counted.
        #expect(try lab.agentCheck("198.18.0.11", "node") == "up")
        let metrics = try lab.curl([ctl1 + "/metrics"])
        #expect(metrics.body.contains("hactl_http_rejected_total{reason=\"empty_segment\"} 3"), "\(metrics.body)")

        // Positive control: signed for ctl1, accepted; the answer carries a MAC over this call's nonce.
        let nonce = RequestSigner.makeNonce()
        let accepted = try lab.curl(["-i", "-X", "POST", "-H", "Authorization: " + sign(node: "ctl1", cluster: config.cluster.name, nonce: nonce),
                                     ctl1 + "/v1/node/drain"])
        #expect(accepted.code == 200, "\(accepted)")
        let parts = accepted.body.components(separatedBy: "\r\n\r\n")
        let answerHeader = parts.first?.split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("x-hactl-response:") }
            .map { String($0.dropFirst("x-hactl-response:".count)).trimmingCharacters(in: .whitespaces) }
        let body = Array(parts.dropFirst().joined(separator: "\r\n\r\n").utf8)
        let verdict = signer.verifyAnswer(header: answerHeader, nonce: nonce, status: 200, body: body, node: "ctl1",
                                          cluster: config.cluster.name)
        #expect((try? verdict.get()) != nil, "\(verdict): \(accepted)")
        #expect(try lab.agentCheck("198.18.0.11", "node") == "drain")
        // And the CLI (AgentClient verifying the answer) brings it back.
        let resume = try lab.hactl(["node", "resume", "ctl1"])
        #expect(resume.code == 0, "\(resume)")
        #expect(try lab.agentCheck("198.18.0.11", "node") == "up")
    }
}
