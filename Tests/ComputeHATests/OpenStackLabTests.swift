import Foundation
import HACore
import Logging
import Testing
@testable import ComputeHA

/// The OpenStack client against the compute lab's real Keystone and Nova (keystonemiddleware auth).
/// Enabled like ``FenceLabTests``: HACTL_FENCE_LAB=<RUN dir>, run inside a controller namespace.
@Suite("OpenStack client against the lab's Keystone and Nova",
       .enabled(if: ProcessInfo.processInfo.environment["HACTL_FENCE_LAB"] != nil,
                "needs HACTL_FENCE_LAB=<the compute lab's RUN dir> and a controller namespace"))
struct OpenStackLabTests {
    static var run: String { ProcessInfo.processInfo.environment["HACTL_FENCE_LAB"] ?? "" }

    /// The lab cloud as the `hactl` user sees it.
    static func cloud(_ http: HTTPClient) -> (OpenStackTransport, KeystoneSession, NovaClient) {
        let transport: OpenStackTransport = { request throws(HTTPClientError) in try await http.execute(request) }
        let session = KeystoneSession(credentials: .init(authURL: "http://198.18.0.30:5000/v3", username: "hactl",
                                                         passwordFile: run + "/secrets/hactl-os.pass", project: "service"),
                                      transport: transport)
        return (transport, session, NovaClient(session: session, transport: transport))
    }

    @Test("token and catalog, microversion negotiated, services and servers read, a bad password is a 401 without the password")
    func readsTheCloud() async throws {
        let http = HTTPClient(threads: 2)
        defer { Task { await http.shutdown() } }
        let (transport, session, nova) = Self.cloud(http)
        var started = ContinuousClock.now
        let token = try await session.current()
        print("keystone token + catalog: \(ContinuousClock.now - started); endpoints \(token.endpoints.keys.sorted())")
        started = ContinuousClock.now
        let version = try await nova.negotiate()
        print("nova microversion \(version) in \(ContinuousClock.now - started)")
        #expect(version <= Microversion(2, 93))
        started = ContinuousClock.now
        let service = try #require(try await nova.computeService(host: "compute1", version: version))
        print("compute1 service: \(service) in \(ContinuousClock.now - started)")
        #expect(service.host == "compute1")
        #expect(try await nova.computeService(host: "nosuchhost", version: version) == nil)
        let servers = try await nova.servers(host: "compute1", version: version)
        print("compute1 servers: \(servers.map { "\($0.id) \($0.status) \($0.metadata)" })")
        #expect(try await nova.server("00000000-0000-0000-0000-000000000000", version: version) == nil)

        let wrong = NSTemporaryDirectory() + "hactl-os-wrong-\(UUID().uuidString)"
        try "not-the-password\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        chmod(wrong, 0o600)
        defer { unlink(wrong) }
        let bad = KeystoneSession(credentials: .init(authURL: "http://198.18.0.30:5000/v3", username: "hactl", passwordFile: wrong,
                                                     project: "service"), transport: transport)
        do {
            _ = try await bad.current()
            Issue.record("a wrong password authenticated")
        } catch {
            print("wrong password: \(error)")
            #expect(error.status == 401)
            #expect(!error.description.contains("not-the-password"))
        }
    }

    /// Boots `count` servers pinned to `host` (2.74), the first `ha` with HA_Enabled=True; returns their ids.
    static func boot(_ nova: NovaClient, host: String, count: Int, ha: Int) async throws -> [String] {
        let flavors = try await nova.send("GET", "/flavors", version: Microversion(2, 74), operation: "flavors")
        let root = try #require(OpenStackJSON.object(flavors.body))
        let flavor = try #require((root["flavors"] as? [[String: Any]])?.first { $0["name"] as? String == "m1.lab" }?["id"] as? String)
        var ids: [String] = []
        for index in 0..<count {
            let body: [String: Any] = ["server": [
                "name": "hactl-lab-\(host)-\(index)", "imageRef": "c0ffee00-0000-4000-8000-000000000001", "flavorRef": flavor,
                "networks": "none", "host": host, "metadata": index < ha ? ["HA_Enabled": "True"] : [String: String](),
            ]]
            let answer = try await nova.send("POST", "/servers", body: body, version: Microversion(2, 74), operation: "boot")
            ids.append(try #require((OpenStackJSON.object(answer.body)?["server"] as? [String: Any])?["id"] as? String))
        }
        return ids
    }

    @Test("a manual recovery on the real cloud: fenced by fence_ipmilan, forced down, HA servers ACTIVE elsewhere once, the rest left")
    func recoversAHost() async throws {
        let http = HTTPClient(threads: 4)
        defer { Task { await http.shutdown() } }
        let (_, _, nova) = Self.cloud(http)
        let version = try await nova.negotiate()
        let host = "compute2"
        let ids = try await Self.boot(nova, host: host, count: 8, ha: 6)
        defer { Task { for id in ids { _ = try? await nova.send("DELETE", "/servers/\(id)", version: version, operation: "delete") } } }
        for _ in 0..<120 {
            let servers = try await nova.servers(host: host, version: version).filter { ids.contains($0.id) }
            if servers.count == ids.count, servers.allSatisfy({ $0.status == "ACTIVE" }) { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let fencer = FenceRunner(host: host, config: FenceConfig(
            agent: "fence_ipmilan", passwordFile: Self.run + "/secrets/bmc.pass",
            parameters: [KeyValue(key: "ip", value: "198.18.2.22"), KeyValue(key: "username", value: "admin"),
                         KeyValue(key: "lanplus", value: "1"), KeyValue(key: "cipher", value: "3"), KeyValue(key: "power_wait", value: "1")]),
            callTimeout: .seconds(20))
        let store = MemoryRecoveryStore()
        let machine = RecoveryStateMachine(id: "lab-\(UInt16.random(in: 0...UInt16.max))", host: host, trigger: .manual,
                                           policy: RecoveryPolicy(), now: SystemWallClock().now)
        let driver = RecoveryDriver(machine: machine, backend: OpenStackBackend(host: host, fencer: fencer, nova: nova), store: store,
                                    wallClock: SystemWallClock(), clock: SystemClock(), tickInterval: .milliseconds(200),
                                    logger: Logger(label: "lab"))
        let result = try await driver.run(resume: false)
        let t0 = result.startedAt
        func at(_ step: RecoveryStateMachine.Entry.Step) -> String {
            result.timeline.last { $0.step == step }.map { String(format: "%.2fs", Double(($0.at - t0).components.seconds) + Double(($0.at - t0).components.attoseconds) / 1e18) } ?? "-"
        }
        print("lab recovery of \(host): fenced \(at(.fenced)), forced down \(at(.forcedDown)), listed \(at(.listed)), "
              + "last instance done \(at(.instanceDone)), finished \(at(.finished)) [\(result.phase.rawValue)]; \(store.history.count) saves")
        for entry in result.timeline { print("  \(entry.at) \(entry.step.rawValue) \(entry.instance ?? "") \(entry.detail)") }
        #expect(result.phase == .recovered)
        #expect(result.instances.filter { $0.progress == .done }.count == 6)
        #expect(result.instances.filter { $0.progress == .skipped }.count == 2)
        let sent = result.timeline.filter { $0.step == .evacuationSent }.compactMap(\.instance)
        #expect(sent.count == 6 && Set(sent).count == 6, "each HA instance evacuated once")
        let after = try await nova.servers(host: nil, version: version).filter { ids.contains($0.id) }
        for server in after {
            let record = result.instances.first { $0.id == server.id }
            if record?.progress == InstanceProgress.done {
                #expect(server.host != host && server.status == "ACTIVE", "\(server)")
            } else {
                #expect(server.host == host, "not HA-enabled: left where it was \(server)")
            }
        }
        let service = try #require(try await nova.computeService(host: host, version: version))
        #expect(service.forcedDown && service.status == "disabled", "\(service)")
        #expect(service.disabledReason == result.disableReason)

        // Hand the host back: power on, un-force once its nova-compute cleaned up, enable.
        #expect(try await fencer.call(.on).exitStatus == 0)
        var unforced = false
        for _ in 0..<60 where !unforced {
            do {
                try await nova.setForcedDown(service, false, version: version)
                unforced = true
            } catch {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        #expect(unforced)
        try await nova.setEnabled(service, true, version: version)
    }
}
