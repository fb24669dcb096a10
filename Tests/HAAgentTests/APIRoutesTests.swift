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
