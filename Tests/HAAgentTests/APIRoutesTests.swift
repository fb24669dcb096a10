import Foundation
@testable import HAAgent
import HACore
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Agent HTTP API")
struct APIRoutesTests {
    func app(_ f: Fixture) -> some ApplicationProtocol { Agent(context: f.context).makeApplication() }

    @Test func healthNodeFollowsDrain() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await app(f).test(.router) { client in
            try await client.execute(uri: "/health/node", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == "up\n")
            }
            try f.context.nodeState.setDrained(true)
            try await client.execute(uri: "/health/node", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "drained\n")
            }
        }
    }

    @Test(arguments: ["/v1/node/drain", "/v1/node/resume", "/v1/no/such/route", "/v1", "/v1/config/reload"])
    func unsignedPostIsRefusedBeforeRouting(path: String) async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await app(f).test(.router) { client in
            try await client.execute(uri: path, method: .post) { r in
                #expect(r.status == .unauthorized)
                #expect(String(buffer: r.body) == "unauthorized: missing signature\n")
                #expect(r.headers[.wwwAuthenticate] == "HACTL-HMAC-SHA256")
            }
        }
        #expect(!f.context.nodeState.drained)
    }

    @Test func signedDrainAndResume() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let drainHeader = f.signed("/v1/node/drain")
        try await app(f).test(.router) { client in
            try await client.execute(uri: "/v1/node/drain", method: .post,
                                     headers: [.authorization: drainHeader]) { r in
                #expect(r.status == .ok)
                let result = try JSONDecoder().decode(AdminResult.self, from: Data(buffer: r.body))
                #expect(result == AdminResult(node: "ctl1", ok: true, message: "drained"))
            }
            #expect(f.context.nodeState.drained)
            // The same signed request again is a replay.
            try await client.execute(uri: "/v1/node/drain", method: .post,
                                     headers: [.authorization: drainHeader]) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/node/resume", method: .post,
                                     headers: [.authorization: f.signed("/v1/node/resume")]) { r in
                #expect(r.status == .ok)
            }
        }
        #expect(!f.context.nodeState.drained)
        // Persisted: a new store on the same directory reads the state back.
        #expect(try NodeStateStore(directory: f.dir + "/state").drained == false)
    }

    @Test func signatureForAnotherBodyIsRefused() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await app(f).test(.router) { client in
            try await client.execute(uri: "/v1/node/drain", method: .post,
                                     headers: [.authorization: f.signed("/v1/node/drain", body: [])],
                                     body: ByteBuffer(string: "{\"x\":1}")) { r in
                #expect(r.status == .unauthorized)
                #expect(String(buffer: r.body).contains("bad signature"))
            }
        }
    }

    @Test func statusReportsNodeChecksAndModules() async throws {
        let f = try Fixture(checks: "checks:\n  db: { tcp: 127.0.0.1:9, interval: 1s, timeout: 500ms }\n")
        defer { f.cleanup() }
        f.context.board.register(name: "db", interval: .seconds(1))
        f.context.board.publish(name: "db", status: .passing, last: .passing(at: f.clock.now), interval: .seconds(1))
        try await app(f).test(.router) { client in
            try await client.execute(uri: "/v1/status", method: .get) { r in
                #expect(r.status == .ok)
                let s = try JSONDecoder().decode(NodeStatus.self, from: Data(buffer: r.body))
                #expect(s.node == "ctl1" && s.cluster == "test" && !s.drained)
                #expect(s.checks.map(\.name) == ["db"] && s.checks[0].status == .passing)
                #expect(s.modules.map(\.name) == ["vip", "galera", "rabbitmq", "compute"])
                #expect(s.modules.allSatisfy { $0.state == .off })
            }
            try await client.execute(uri: "/health/check/db", method: .get) { r in #expect(r.status == .ok) }
            // Older than 3 intervals: the stale rule turns the read critical, without any probe.
            f.clock.advance(by: .seconds(4))
            try await client.execute(uri: "/health/check/db", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "probe stale\n")
            }
            try await client.execute(uri: "/health/galera", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "galera not configured\n")
            }
            try await client.execute(uri: "/health/check/nope", method: .get) { r in #expect(r.status == .notFound) }
        }
    }

    // Issue 11 item 1: every spelling the router would normalise to an admin route is refused
    // before authentication and routing, signed or not, and nothing happens.
    static let nonCanonical = [
        "//v1/node/drain", "/v1//node/drain", "/v1/node//drain", "/v1/node/drain/", "///v1/node/drain",
        "/./v1/node/drain", "/v1/./node/drain", "/v1/../v1/node/drain", "/v1/node/drain/.",
        "/v1%2Fnode/drain", "/v1%2fnode/drain", "/%2E/v1/node/drain", "/v1/node/%64rain", "/%761/node/drain",
        "/v1/node/drain%", "/v1/node/drain%2", "/v1\\node\\drain", "/v1/node/drain#x", "v1/node/drain",
        "/" + String(repeating: "a", count: 1100),
    ]

    @Test(arguments: nonCanonical)
    func nonCanonicalTargetIsRefusedWith400(target: String) async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await app(f).test(.router) { client in
            // Unsigned (the original bypass) and signed over the very bytes sent: both 400.
            try await client.execute(uri: target, method: .post) { r in
                #expect(r.status == .badRequest, "\(target)")
                #expect(String(buffer: r.body).hasPrefix("bad request: "))
                #expect(String(buffer: r.body).filter { $0 == "\n" }.count == 1)
            }
            try await client.execute(uri: target, method: .post, headers: [.authorization: f.signed(target)]) { r in
                #expect(r.status == .badRequest, "\(target)")
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(String(buffer: r.body).contains("hactl_http_rejected_total{reason="))
            }
        }
        #expect(!f.context.nodeState.drained)
    }

    @Test func rejectionsAreCountedByReason() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await app(f).test(.router) { client in
            for target in ["//v1/node/drain", "/v1//galera/stop", "/./v1/node/drain", "/v1%2Fnode/drain"] {
                try await client.execute(uri: target, method: .post) { r in #expect(r.status == .badRequest) }
            }
            try await client.execute(uri: "//health/node", method: .get) { r in #expect(r.status == .badRequest) }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains("hactl_http_rejected_total{reason=\"empty_segment\"} 3"))
                #expect(text.contains("hactl_http_rejected_total{reason=\"dot_segment\"} 1"))
                #expect(text.contains("hactl_http_rejected_total{reason=\"encoded_character\"} 1"))
            }
        }
    }

    // Every method but GET/HEAD needs the signature, on every path, routed or not.
    @Test(arguments: [HTTPRequest.Method.put, .delete, .patch, .post, .options],
          ["/v1/node/drain", "/v1/galera/stop", "/health/node", "/v1/status", "/nope"])
    func everyOtherMethodNeedsTheSignature(method: HTTPRequest.Method, path: String) async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await app(f).test(.router) { client in
            try await client.execute(uri: path, method: method) { r in
                #expect(r.status == .unauthorized, "\(method) \(path)")
                #expect(String(buffer: r.body) == "unauthorized: missing signature\n")
                #expect(r.headers[.hactlAnswer] == nil)
            }
        }
        #expect(!f.context.nodeState.drained)
    }

    // Issue 11 item 4: a call signed for ctl2, or for another cluster, is refused by ctl1.
    @Test(arguments: [("ctl2", "test"), ("ctl1", "other-cluster"), ("ctl3", "other-cluster")])
    func signatureForAnotherNodeOrClusterIsRefused(node: String, cluster: String) async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await app(f).test(.router) { client in
            try await client.execute(uri: "/v1/node/drain", method: .post,
                                     headers: [.authorization: f.signed("/v1/node/drain", node: node, cluster: cluster)]) { r in
                #expect(r.status == .unauthorized)
                #expect(String(buffer: r.body) == "unauthorized: bad signature\n")
            }
        }
        #expect(!f.context.nodeState.drained)
    }

    // Issue 11 item 2: hostile timestamps and fields are a 401, the agent keeps serving.
    @Test(arguments: ["t=-9223372036854775808", "t=9223372036854775807", "t=\(String(repeating: "9", count: 400))", "t=-1"])
    func overflowingTimestampIsRefusedWithoutATrap(t: String) async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let header = "HACTL-HMAC-SHA256 \(t),n=0011223344556677,s=\(String(repeating: "ab", count: 32))"
        try await app(f).test(.router) { client in
            try await client.execute(uri: "/v1/node/drain", method: .post, headers: [.authorization: header]) { r in
                #expect(r.status == .unauthorized)
                #expect(String(buffer: r.body) == "unauthorized: malformed signature\n")
            }
            try await client.execute(uri: "/health/node", method: .get) { r in #expect(r.status == .ok) }
        }
    }

    @Test(arguments: ["s=0,t=1,n=0011223344556677", "t=1795000000,t=1795000000,n=0011223344556677,s=\(String(repeating: "ab", count: 32))",
                      "t=1795000000,n=0011223344556677,s=\(String(repeating: "a", count: 63))"])
    func oddHexAndRepeatedKeysAreMalformed(fields: String) async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await app(f).test(.router) { client in
            try await client.execute(uri: "/v1/node/drain", method: .post,
                                     headers: [.authorization: "HACTL-HMAC-SHA256 \(fields)"]) { r in
                #expect(String(buffer: r.body) == "unauthorized: malformed signature\n")
            }
        }
        #expect(!f.context.nodeState.drained)
    }

    // The header is checked before the body is read: an unsigned 2 MiB body is a 401, not a 413.
    @Test func unsignedBodyIsNotReadBeforeTheHeaderChecks() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await app(f).test(.router) { client in
            try await client.execute(uri: "/v1/node/drain", method: .post,
                                     body: ByteBuffer(repeating: 0x7B, count: 2 << 20)) { r in
                #expect(r.status == .unauthorized)
            }
        }
    }

    // Issue 11 item 3: the answer to an accepted call carries the agent's MAC over the call's nonce.
    @Test func answerToASignedCallIsSigned() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let nonce = "0123456789abcdef0123456789abcdef"
        let signer = RequestSigner(secret: Array(f.secret.utf8))
        try await app(f).test(.router) { client in
            try await client.execute(uri: "/v1/node/drain", method: .post,
                                     headers: [.authorization: f.signed("/v1/node/drain", nonce: nonce)]) { r in
                #expect(r.status == .ok)
                let body = Array(buffer: r.body)
                #expect(signer.verifyAnswer(header: r.headers[.hactlAnswer], nonce: nonce, status: 200, body: body,
                                            node: "ctl1", cluster: "test").failure == nil)
                #expect(signer.verifyAnswer(header: r.headers[.hactlAnswer], nonce: nonce, status: 200, body: body,
                                            node: "ctl2", cluster: "test").failure == .forged)
            }
            // A signed call to a route that does not exist: still a signed 404.
            try await client.execute(uri: "/v1/no/such/route", method: .post,
                                     headers: [.authorization: f.signed("/v1/no/such/route", nonce: nonce + "00")]) { r in
                #expect(r.status == .notFound)
                #expect(signer.verifyAnswer(header: r.headers[.hactlAnswer], nonce: nonce + "00", status: 404,
                                            body: Array(buffer: r.body), node: "ctl1", cluster: "test").failure == nil)
            }
            // Unauthenticated answers (401, GET) carry no MAC.
            try await client.execute(uri: "/v1/status", method: .get) { r in #expect(r.headers[.hactlAnswer] == nil) }
        }
    }

    @Test func metricsArePrometheusText() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await app(f).test(.router) { client in
            try await client.execute(uri: "/v1/node/drain", method: .post) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok)
                let text = String(buffer: r.body)
                #expect(text.contains("# TYPE hactl_node_drained gauge"))
                #expect(text.contains("hactl_node_drained 0"))
                #expect(text.contains("hactl_api_auth_failures_total{reason=\"missing\"} 1"))
            }
        }
    }
}

private extension Result {
    var failure: Failure? { if case .failure(let f) = self { f } else { nil } }
}
