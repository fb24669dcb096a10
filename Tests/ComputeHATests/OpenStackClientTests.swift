import Foundation
import HACore
import Synchronization
import Testing
@testable import ComputeHA

/// Keystone and Nova clients against a scripted transport: answers shaped as the lab's Keystone 22 and
/// Nova 26 give them (OpenStackLabTests runs the same calls against the real services).
@Suite("OpenStack client")
struct OpenStackClientTests {
    static let password = "os-pass-\(UInt32.random(in: 0...UInt32.max))"

    /// A transport that answers by method + path prefix and records every request.
    final class Cloud: Sendable {
        let requests = Mutex<[HTTPRequest]>([])
        let tokens = Mutex(0)
        let novaAnswers = Mutex<[String: [(Int, String)]]>([:])
        let expiresIn: Int64
        let now: WallTime

        init(now: WallTime, expiresIn: Int64 = 3600) {
            self.now = now
            self.expiresIn = expiresIn
        }

        func answer(_ key: String, _ status: Int, _ body: String) {
            novaAnswers.withLock { $0[key, default: []].append((status, body)) }
        }

        var transport: OpenStackTransport {
            { request throws(HTTPClientError) in self.handle(request) }
        }

        func handle(_ request: HTTPRequest) -> HTTPResponse {
            requests.withLock { $0.append(request) }
            if request.url.hasSuffix("/v3/auth/tokens") {
                let body = String(decoding: request.body, as: UTF8.self)
                guard body.contains(OpenStackClientTests.password) else {
                    return HTTPResponse(status: 401, body: Array(#"{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}"#.utf8))
                }
                let n = tokens.withLock { $0 += 1; return $0 }
                let expires = WallTime(nanosecondsSinceEpoch: now.nanosecondsSinceEpoch + expiresIn * 1_000_000_000)
                let iso = String(expires.description.dropLast(5)) + ".000000Z"
                return HTTPResponse(status: 201, headers: [HTTPHeader(name: "X-Subject-Token", value: "tok\(n)")], body: Array("""
                    {"token":{"expires_at":"\(iso)","catalog":[
                     {"type":"compute","name":"nova","endpoints":[
                      {"interface":"public","region_id":"RegionOne","region":"RegionOne","url":"http://198.18.0.30:8774/v2.1"},
                      {"interface":"internal","region_id":"RegionOne","region":"RegionOne","url":"http://198.18.0.31:8774/v2.1"},
                      {"interface":"internal","region_id":"RegionTwo","region":"RegionTwo","url":"http://198.18.9.9:8774/v2.1"}]},
                     {"type":"identity","endpoints":[{"interface":"internal","region_id":"RegionOne","url":"http://198.18.0.30:5000/v3"}]}]}}
                    """.utf8))
            }
            let path = request.url.replacingOccurrences(of: "http://198.18.0.31:8774/v2.1", with: "")
            let bare = path.split(separator: "?").first.map(String.init) ?? "/"
            let key = "\(request.method) \(bare.isEmpty ? "/" : bare)"
            let scripted = novaAnswers.withLock { answers -> (Int, String)? in
                guard var list = answers[key], !list.isEmpty else { return nil }
                let first = list.removeFirst()
                answers[key] = list.isEmpty ? [(first.0, first.1)] : list
                return first
            }
            guard let (status, body) = scripted else { return HTTPResponse(status: 404, body: Array(#"{"itemNotFound":{"code":404,"message":"nothing scripted"}}"#.utf8)) }
            return HTTPResponse(status: status, body: Array(body.utf8))
        }
    }

    struct Bench {
        let dir: String
        let clock = ManualWallClock(now: WallTime(secondsSinceEpoch: 1_800_000_000))
        let cloud: Cloud
        let session: KeystoneSession
        let nova: NovaClient

        init(password: String = OpenStackClientTests.password, expiresIn: Int64 = 3600) throws {
            dir = NSTemporaryDirectory() + "hactl-os-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try (password + "\n").write(toFile: dir + "/os.pass", atomically: true, encoding: .utf8)
            chmod(dir + "/os.pass", 0o600)
            cloud = Cloud(now: clock.now, expiresIn: expiresIn)
            session = KeystoneSession(credentials: .init(authURL: "http://198.18.0.30:5000/v3", username: "hactl",
                                                         passwordFile: dir + "/os.pass", project: "service"),
                                      transport: cloud.transport, wallClock: clock)
            nova = NovaClient(session: session, transport: cloud.transport)
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test("the token is cached, renewed before it expires, and the internal endpoint of the region is chosen")
    func tokenLifecycle() async throws {
        let bench = try Bench(expiresIn: 600)
        defer { bench.remove() }
        let first = try await bench.session.current()
        #expect(first.value == "tok1")
        #expect(first.endpoints["compute"] == "http://198.18.0.31:8774/v2.1")
        #expect(first.endpoints["identity"] == "http://198.18.0.30:5000/v3")
        #expect(try await bench.session.current().value == "tok1")
        bench.clock.advance(by: .seconds(470))
        #expect(try await bench.session.current().value == "tok1", "130 s left: still good")
        bench.clock.advance(by: .seconds(20))
        #expect(try await bench.session.current().value == "tok2", "within 120 s of expiry: renewed")
        let body = String(decoding: try #require(bench.cloud.requests.withLock { $0.first }).body, as: UTF8.self)
        #expect(body.contains(#""name":"service""#) && body.contains(#""name":"hactl""#))
    }

    @Test("a 401 from Nova gets one new token and one retry; a wrong password is a 401 error without the password")
    func unauthorized() async throws {
        let bench = try Bench()
        defer { bench.remove() }
        bench.cloud.answer("GET /", 401, "{}")
        bench.cloud.answer("GET /", 200, #"{"version":{"id":"v2.1","status":"CURRENT","version":"2.93","min_version":"2.1"}}"#)
        #expect(try await bench.nova.negotiate() == Microversion(2, 93))
        #expect(bench.cloud.tokens.withLock { $0 } == 2)

        let wrong = try Bench(password: "wrong-password-123")
        defer { wrong.remove() }
        do {
            _ = try await wrong.session.current()
            Issue.record("authenticated with a wrong password")
        } catch {
            #expect(error.status == 401)
            #expect(error.description == "keystone authenticate as hactl: 401 The request you have made requires authentication.")
            #expect(!error.description.contains("wrong-password-123"))
        }
    }

    @Test("microversion: the lower of configured and server max; below 2.53 refused")
    func negotiation() async throws {
        let bench = try Bench()
        defer { bench.remove() }
        bench.cloud.answer("GET /", 200, #"{"version":{"version":"2.87"}}"#)
        #expect(try await bench.nova.negotiate() == Microversion(2, 87))
        let old = try Bench()
        defer { old.remove() }
        old.cloud.answer("GET /", 200, #"{"version":{"version":"2.42"}}"#)
        await #expect(throws: OpenStackError.self) { try await old.nova.negotiate() }
        #expect(Microversion("2.93") == Microversion(2, 93))
        for bad in ["", "2", "2.", ".5", "2.93.1", "a.b", "99999.1", "-1.5", "２.５"] { #expect(Microversion(bad) == nil, "\(bad)") }
    }

    @Test("services, servers and migrations are read from Nova's shapes; hostile bodies are errors, not traps")
    func reads() async throws {
        let bench = try Bench()
        defer { bench.remove() }
        let v = Microversion(2, 93)
        bench.cloud.answer("GET /os-services", 200, """
            {"services":[{"id":"326b6355-182c-4cd5-935a-534a4a32a6ee","binary":"nova-compute","host":"compute1","zone":"nova",
             "status":"enabled","disabled_reason":null,"state":"up","updated_at":"2026-12-06T02:32:15.000000","forced_down":false}]}
            """)
        let service = try #require(try await bench.nova.computeService(host: "compute1", version: v))
        #expect(service.id == "326b6355-182c-4cd5-935a-534a4a32a6ee" && service.state == "up" && !service.forcedDown)
        #expect(service.updatedAt == OpenStackJSON.time("2026-12-06T02:32:15Z"))
        bench.cloud.answer("GET /servers/detail", 200, """
            {"servers":[{"id":"a","name":"vm","status":"ACTIVE","OS-EXT-SRV-ATTR:host":"compute1","OS-EXT-STS:task_state":null,
             "metadata":{"HA_Enabled":"True"},"flavor":{"original_name":"m1","extra_specs":{"hactl:no_evacuate":"true","hw:cpu":2}}},
             {"name":"no id"}, 7, {"id":""}]}
            """)
        let servers = try await bench.nova.servers(host: "compute1", version: v)
        #expect(servers == [ServerView(id: "a", name: "vm", host: "compute1", status: "ACTIVE", taskState: nil,
                                       metadata: ["HA_Enabled": "True"], properties: ["hactl:no_evacuate": "true", "hw:cpu": "2"])])
        bench.cloud.answer("GET /os-migrations", 200, """
            {"migrations":[{"migration_type":"evacuation","created_at":"2027-01-15T08:00:30.000000","status":"done"}]}
            """)
        #expect(try await bench.nova.evacuationRecorded("a", since: WallTime(secondsSinceEpoch: 1_800_000_000), version: v))
        #expect(try await !bench.nova.evacuationRecorded("a", since: WallTime(secondsSinceEpoch: 1_900_000_000), version: v))
        for body in ["", "null", "[]", #"{"servers":"x"}"#, String(repeating: "[", count: 100_000), #"{"servers":[{"id":1e400}]}"#] {
            bench.cloud.answer("GET /servers/detail", 200, body)
            bench.cloud.novaAnswers.withLock { $0["GET /servers/detail"] = [(200, body)] }
            await #expect(throws: OpenStackError.self) { try await bench.nova.servers(host: "compute1", version: v) }
        }
    }

    @Test("evacuate answers map to what the workflow does", arguments: [
        (202, #"{}"#, EvacuateAnswer.accepted),
        (200, #"{}"#, .accepted),
        (404, #"{"itemNotFound":{"message":"Instance a could not be found."}}"#, .notFound),
        (409, #"{"conflictingRequest":{"message":"Cannot 'evacuate' instance a while it is in task_state rebooting"}}"#,
         .conflict("nova evacuate a: 409 Cannot 'evacuate' instance a while it is in task_state rebooting")),
        (400, #"{"badRequest":{"message":"Compute service of compute1 is still in use."}}"#,
         .hostNotDown("nova evacuate a: 400 Compute service of compute1 is still in use.")),
        (500, #"{"computeFault":{"message":"Unexpected API Error."}}"#, .rejected("nova evacuate a: 500 Unexpected API Error.")),
    ])
    func evacuateAnswers(status: Int, body: String, answer: EvacuateAnswer) async throws {
        let bench = try Bench()
        defer { bench.remove() }
        bench.cloud.answer("POST /servers/a/action", status, body)
        #expect(await bench.nova.evacuate("a", to: nil, version: Microversion(2, 93)) == answer)
        let sent = try #require(bench.cloud.requests.withLock { $0.last })
        #expect(String(decoding: sent.body, as: UTF8.self) == #"{"evacuate":{}}"#)
        #expect(sent.headers.contains(HTTPHeader(name: "OpenStack-API-Version", value: "compute 2.93")))
    }

    @Test("ISO times of Keystone and Nova; anything else is nil", arguments: [
        ("2026-12-06T02:32:15.000000Z", Int64(1_796_524_335_000_000_000)),
        ("2026-12-06T02:32:15Z", 1_796_524_335_000_000_000),
        ("2026-12-06T02:32:15.5", 1_796_524_335_500_000_000),
        ("2026-12-06T02:32:15+00:00", 1_796_524_335_000_000_000),
        ("1970-01-01T00:00:00Z", 0),
        ("2000-02-29T12:00:00Z", 951_825_600_000_000_000),
    ])
    func times(text: String, nanoseconds: Int64) {
        #expect(OpenStackJSON.time(text) == WallTime(nanosecondsSinceEpoch: nanoseconds))
    }

    @Test("malformed times are nil")
    func badTimes() {
        for text in ["", "yesterday", "2026-13-01T00:00:00Z", "2026-12-06T25:00:00Z", "99999-01-01T00:00:00Z", "2026-12-06T02:32:15.",
                     "2026-12-06T02:32:15.abc", "-2026-12-06T02:32:15Z", "2026-12-06T02:32", String(repeating: "9", count: 10_000)] {
            #expect(OpenStackJSON.time(text) == nil, "\(text)")
        }
    }
}
