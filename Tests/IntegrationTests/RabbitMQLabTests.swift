import Foundation
import HACore
import Testing

/// MQProbe against a real three-node RabbitMQ 3.10 cluster in the lab (pause_minority).
@Suite("RabbitMQ in the lab", .serialized)
struct RabbitMQLabTests {
    static let nodes = ["ctl1", "ctl2", "ctl3"]

    @Test("healthy, stop_app, memory alarm, a hung broker, a partition: each shows on that node only")
    func brokerStatesDriveTheEndpoint() throws {
        let lab = try Lab.rabbitUp()
        defer { lab.down() }

        #expect(try lab.eventually(.seconds(20)) { try Self.nodes.allSatisfy { try lab.rabbitHealth($0).code == 200 } },
                "healthy: 200 on all")
        let status = try lab.hactl(["rabbitmq", "status"])
        #expect(status.code == 0, "\(status)")
        #expect(try lab.agentCheck("198.18.0.12", "rabbitmq") == "up")

        // stop_app: 503 there, the others stay 200; start_app: back.
        try lab.check([Lab.script, "rabbitmq-stop-app", "ctl2"])
        #expect(try lab.eventually(.seconds(6)) { try lab.rabbitHealth("ctl2").code == 503 }, "stop_app -> 503")
        print("rabbitmq lab: stop_app reason: \(try lab.rabbitHealth("ctl2").body)")
        #expect(try lab.rabbitHealth("ctl1").code == 200 && lab.rabbitHealth("ctl3").code == 200)
        #expect(try lab.agentCheck("198.18.0.12", "rabbitmq").hasPrefix("down #"))
        try lab.check([Lab.script, "rabbitmq-start-app", "ctl2"])
        #expect(try lab.eventually(.seconds(15)) { try lab.rabbitHealth("ctl2").code == 200 }, "start_app -> 200")

        // A memory alarm on ctl3.
        try lab.rabbitmqctl("ctl3", ["set_vm_memory_high_watermark", "0.0001"])
        #expect(try lab.eventually(.seconds(8)) { try lab.rabbitHealth("ctl3").code == 503 }, "memory alarm -> 503")
        #expect(try lab.rabbitHealth("ctl3").body.contains("alarm"))
        #expect(try lab.rabbitHealth("ctl1").code == 200)
        try lab.rabbitmqctl("ctl3", ["set_vm_memory_high_watermark", "0.4"])
        #expect(try lab.eventually(.seconds(10)) { try lab.rabbitHealth("ctl3").code == 200 }, "alarm cleared -> 200")

        // A hung broker (SIGSTOP, kept short: a freeze past net_ticktime splits the cluster for good).
        try lab.check([Lab.script, "rabbitmq-signal", "ctl1", "STOP"])
        let stopped = ContinuousClock.now
        #expect(try lab.eventually(.seconds(6)) { try lab.rabbitHealth("ctl1").code == 503 })
        let detection = ContinuousClock.now - stopped
        let latencies = try (0..<20).map { _ in try lab.endpointLatencyMs("ctl1", path: "/health/rabbitmq") }
        try lab.check([Lab.script, "rabbitmq-signal", "ctl1", "CONT"])
        #expect(detection < .milliseconds(2600), "503 within timeout after SIGSTOP (took \(detection))")
        #expect(latencies.max()! < 100, "endpoint latency while the broker hangs: \(latencies)")
        print("rabbitmq lab: SIGSTOP -> 503 in \(detection); endpoint latency while hung max \(latencies.max()!) ms")
        #expect(try lab.eventually(.seconds(20)) { try lab.rabbitHealth("ctl1").code == 200 }, "SIGCONT -> 200")

        // A partition: ctl3 cut off from the other controllers (nftables in its namespace).
        try lab.check([Lab.script, "rabbitmq-partition", "ctl3"])
        #expect(try lab.eventually(.seconds(30)) { try lab.rabbitHealth("ctl3").code == 503 }, "the minority is 503")
        print("rabbitmq lab: partitioned ctl3 reason: \(try lab.rabbitHealth("ctl3").body)")
        #expect(try lab.rabbitHealth("ctl1").code == 200 && lab.rabbitHealth("ctl2").code == 200, "the majority stays 200")
        try lab.check([Lab.script, "rabbitmq-heal", "ctl3"])
        #expect(try lab.eventually(.seconds(45)) { try Self.nodes.allSatisfy { try lab.rabbitHealth($0).code == 200 } },
                "healed: 200 on all")
    }
}
