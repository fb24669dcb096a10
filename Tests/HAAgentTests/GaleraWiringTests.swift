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
            #expect(f.context.modules.first(GaleraModule.self)!.status(f.context).state == .degraded)

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

/// The RabbitMQ verdict on the board drives `/health/rabbitmq`, the agent-check, `/v1/rabbitmq`
/// and the status module; the endpoints never probe.
@Suite("RabbitMQ wiring")
struct RabbitMQWiringTests {
    let section = "rabbitmq: { amqp: { port: 1, user: hactl, password_file: galera.pass }, management: { port: 1 }, interval: 1s, timeout: 1s }"

    @Test func verdictOnTheBoardIsServed() async throws {
        let f = try Fixture(extra: section)
        defer { f.cleanup() }
        #expect(f.context.rabbitmq != nil)
        let app = Agent(context: f.context).makeApplication()
        try await app.test(.router) { client in
            f.context.board.publish(name: "rabbitmq", status: .critical, reason: "memory alarm",
                                    last: .critical("memory alarm", at: f.clock.now), interval: .seconds(1))
            try await client.execute(uri: "/health/rabbitmq", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "memory alarm\n")
            }
            #expect(AgentCheckAnswer.answer("rabbitmq", context: f.context).line == "down #memory alarm")
            #expect(f.context.modules.first(RabbitMQModule.self)!.status(f.context) == ModuleStatus(name: "rabbitmq", state: .degraded, detail: "memory alarm"))
            try await client.execute(uri: "/v1/rabbitmq", method: .get) { r in
                #expect(r.status == .ok)
                let body = String(buffer: r.body)
                #expect(body.contains("\"rabbit_node\":\"rabbit@ctl1\""))
                #expect(body.contains("\"reason\":\"memory alarm\""))
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(String(buffer: r.body).contains("hactl_module_status{entry=\"rabbitmq\"} 2"))
            }
            f.context.board.publish(name: "rabbitmq", status: .passing, last: .passing(at: f.clock.now), interval: .seconds(1))
            try await client.execute(uri: "/health/rabbitmq", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(String(buffer: r.body).contains("hactl_module_status{entry=\"rabbitmq\"} 0"))
            }
            #expect(AgentCheckAnswer.answer("rabbitmq", context: f.context).line == "up")
        }
    }

    @Test func probeAgainstAClosedPortSaysWhyAndNeverLeaksThePassword() async throws {
        let f = try Fixture(extra: section)
        defer { f.cleanup() }
        let result = await f.context.rabbitmq!.probe()
        #expect(result.status == .critical)
        #expect(result.reason.hasPrefix("connect: "), "\(result.reason)")
        #expect(!result.reason.contains(f.secret))
        #expect(!"\(f.context.rabbitmq!.snapshot)".contains(f.secret))
        f.context.rabbitmq!.shutdown()
    }
}
