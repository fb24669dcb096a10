@testable import HACLI
import HACore
import Testing

@Suite("hactl rabbitmq status report")
struct RabbitMQStatusReportTests {
    let ctl = ["ctl1", "ctl2", "ctl3"].enumerated().map { Controller(name: $1, address: IPAddress("198.18.0.1\($0 + 1)")!) }
    static let all = ["rabbit@ctl1", "rabbit@ctl2", "rabbit@ctl3"]

    func report(_ node: String, reason: String? = nil, running: [String] = all, alarms: [String] = [],
                quorum: MQHealthCheck = MQHealthCheck(status: "ok")) -> MQReport {
        var s = MQStatus(node: "rabbit@\(node)")
        s.running = true
        s.partitions = []
        s.alarms = alarms
        s.quorumCritical = quorum
        s.mirrorSyncCritical = MQHealthCheck(status: "ok")
        s.roundTripMs = 0.5
        s.fdUsed = 47
        s.fdTotal = 20000
        s.clusterNodes = Self.all.map { MQClusterNode(name: $0, running: running.contains($0)) }
        return MQReport(node: node, rabbitNode: "rabbit@\(node)", status: reason == nil ? .passing : .critical,
                        reason: reason ?? "ok", ageSeconds: 0.3, probeMs: 3, roundTripCPUMs: 0.05, rabbitmq: s)
    }

    @Test func healthyClusterExitsZero() {
        let r = RabbitMQStatusReport(answers: ctl.map { ($0, .success(report($0.name))) })
        #expect(r.exitCode == 0)
        #expect(r.problems.isEmpty)
        #expect(r.renderTable().contains("ctl2  rabbit@ctl2  ok      yes      none        none    none      0.50 ms     47/20000  3/3: rabbit@ctl1,rabbit@ctl2,rabbit@ctl3"))
    }

    @Test func alarmAndCriticalAreShownAndDegraded() {
        let r = RabbitMQStatusReport(answers: [
            (ctl[0], .success(report("ctl1"))),
            (ctl[1], .success(report("ctl2", reason: "memory alarm", alarms: ["memory"]))),
            (ctl[2], .success(report("ctl3", reason: "quorum critical: queues would lose quorum",
                                     quorum: MQHealthCheck(status: "failed", reason: "queues would lose quorum", queues: ["q1"])))),
        ])
        #expect(r.exitCode == 3)
        #expect(r.problems == ["ctl2: memory alarm", "ctl3: quorum critical: queues would lose quorum"])
        let table = r.renderTable()
        #expect(table.contains("memory alarm"))
        #expect(table.contains("quorum"))
    }

    @Test func passingNodesThatSeeDifferentClustersAreAProblem() {
        let r = RabbitMQStatusReport(answers: [
            (ctl[0], .success(report("ctl1", running: ["rabbit@ctl1", "rabbit@ctl3"]))),
            (ctl[1], .success(report("ctl2", running: ["rabbit@ctl2"]))),
            (ctl[2], .success(report("ctl3", running: ["rabbit@ctl1", "rabbit@ctl3"]))),
        ])
        #expect(r.exitCode == 3)
        #expect(r.problems == ["nodes disagree on who runs: rabbit@ctl1,rabbit@ctl3 vs rabbit@ctl2"])
    }

    @Test func unreachableExitsFour() {
        let r = RabbitMQStatusReport(answers: [
            (ctl[0], .success(report("ctl1"))), (ctl[1], .failure(.badResponse(node: "ctl2", message: "garbage"))),
            (ctl[2], .success(report("ctl3"))),
        ])
        #expect(r.exitCode == 4)
        #expect(r.renderTable().contains("ctl2  -            unreachable"))
    }
}
