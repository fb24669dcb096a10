import Foundation
@testable import HAAgent
import HACore
import Hummingbird
import HummingbirdTesting
import Testing

/// The Galera verdict on the board drives `/health/galera`, the `galera` agent-check and the status
/// module; the endpoints never probe.
@Suite("Galera wiring")
struct GaleraWiringTests {
    let galeraSection = "galera: { user: hactl, password_file: galera.pass, port: 1, interval: 1s, timeout: 1s }"

    @Test func verdictOnTheBoardIsServed() async throws {
        let f = try Fixture(extra: galeraSection)
        defer { f.cleanup() }
        #expect(f.context.galera != nil)
        let app = Agent(context: f.context).makeApplication()
        try await app.test(.router) { client in
            f.context.board.register(name: "galera", interval: .seconds(1), at: f.clock.now)
            f.context.board.publish(name: "galera", status: .critical, reason: "donor/desynced",
                                    last: .critical("donor/desynced", at: f.clock.now), interval: .seconds(1))
            try await client.execute(uri: "/health/galera", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "donor/desynced\n")
            }
            #expect(AgentCheckAnswer.answer("galera", context: f.context).line == "down #donor/desynced")
            #expect(StatusBuilder.galeraModule(f.context).state == .degraded)

            f.context.board.publish(name: "galera", status: .passing, reason: "",
                                    last: .passing(at: f.clock.now), interval: .seconds(1))
            try await client.execute(uri: "/health/galera", method: .get) { r in #expect(r.status == .ok) }
            #expect(AgentCheckAnswer.answer("galera", context: f.context).line == "up")
            try await client.execute(uri: "/health/galera/writer", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "no result yet\n")
            }
            // Older than 3 intervals: stale, whatever was stored.
            f.clock.advance(by: .seconds(4))
            try await client.execute(uri: "/health/galera", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "probe stale\n")
            }
        }
    }

    @Test func probeAgainstAClosedPortReportsTheConnectError() async throws {
        let f = try Fixture(extra: galeraSection)
        defer { f.cleanup() }
        let result = await f.context.galera!.probe()
        #expect(result.status == .critical)
        #expect(result.reason.hasPrefix("connect: "))
        #expect(!result.reason.contains(f.secret))
        f.context.galera!.shutdown()
    }
}
