import HACore
import Testing
@testable import MQProbe

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

/// The management API parsers on captured RabbitMQ 3.10 answers (and derived ones), and on bodies
/// that are not what they should be.
@Suite("MQManagement parsers")
struct MQManagementParsingTests {
    @Test("the node's columns: healthy, alarms, partitions, not running")
    func node() throws {
        let healthy = try MQManagement.parseNode(CapturedPayloads.healthyNode.bytes)
        #expect(healthy.name == "rabbit@localhost")
        #expect(healthy.running == true)
        #expect(healthy.partitions == [])
        #expect(healthy.memAlarm == false && healthy.diskFreeAlarm == false)
        #expect(healthy.fdUsed == 39 && healthy.fdTotal == 20000)
        #expect(healthy.socketsUsed == 0 && healthy.socketsTotal == 17910)
        #expect(healthy.memLimit == 10_110_604_083)
        #expect(healthy.uptimeMs == 171_521)

        #expect(try MQManagement.parseNode(CapturedPayloads.memoryAlarmNode.bytes).memAlarm == true)
        #expect(try MQManagement.parseNode(CapturedPayloads.diskAlarmNode.bytes).diskFreeAlarm == true)
        #expect(try MQManagement.parseNode(CapturedPayloads.partitionedNode.bytes).partitions == ["rabbit@ctl1", "rabbit@ctl2"])
        let stopped = try MQManagement.parseNode(CapturedPayloads.notRunningNode.bytes)
        #expect(stopped.running == false)
        #expect(stopped.fdTotal == nil)
    }

    @Test("the full node payload (no columns) parses to the same figures")
    func fullNode() throws {
        let full = try MQManagement.parseNode(CapturedPayloads.healthyNodeFull.bytes)
        #expect(full.running == true)
        #expect(full.partitions == [])
        #expect(full.fdTotal == 20000)
        #expect(full.memAlarm == false)
    }

    @Test("a figure of an unexpected type is nil, not a failure")
    func lenientFigures() throws {
        let body = #"{"name":"rabbit@ctl1","running":true,"partitions":[],"fd_used":"install_handle_from_sysinternals"}"#
        let stats = try MQManagement.parseNode(body.bytes)
        #expect(stats.running == true)
        #expect(stats.fdUsed == nil)
    }

    @Test("the cluster view")
    func cluster() throws {
        #expect(try MQManagement.parseClusterNodes(CapturedPayloads.healthyCluster.bytes)
            == [MQClusterNode(name: "rabbit@localhost", running: true)])
        #expect(try MQManagement.parseClusterNodes(CapturedPayloads.partitionedCluster.bytes) == [
            MQClusterNode(name: "rabbit@ctl3", running: true, partitions: ["rabbit@ctl1", "rabbit@ctl2"]),
            MQClusterNode(name: "rabbit@ctl1", running: true, partitions: ["rabbit@ctl3"]),
            MQClusterNode(name: "rabbit@ctl2", running: false),
        ])
    }

    @Test("health checks: 200 ok, 503 failed with alarms or queues")
    func healthChecks() throws {
        let path = MQManagement.localAlarmsPath
        #expect(try MQManagement.parseHealthCheck(status: 200, body: CapturedPayloads.healthyLocalAlarms.bytes, path: path)
            == MQHealthCheck(status: "ok"))
        #expect(try MQManagement.parseHealthCheck(status: 200, body: CapturedPayloads.healthyQuorumCritical.bytes, path: path)
            == MQHealthCheck(status: "ok", reason: "single node cluster"))
        #expect(try MQManagement.parseHealthCheck(status: 503, body: CapturedPayloads.memoryAlarmLocalAlarms.bytes, path: path)
            == MQHealthCheck(status: "failed", reason: "There are alarms in effect on the node", alarms: ["memory"]))
        #expect(try MQManagement.parseHealthCheck(status: 503, body: CapturedPayloads.diskAlarmLocalAlarms.bytes, path: path)
            .alarms == ["disk space"])
        let quorum = try MQManagement.parseHealthCheck(status: 503, body: CapturedPayloads.quorumCriticalFailed.bytes,
                                                       path: MQManagement.quorumCriticalPath)
        #expect(!quorum.ok)
        #expect(quorum.queues == ["queue 'nova' in vhost '/'"])
    }

    @Test("errors: HTTP 401 with the API's reason, other statuses, malformed or mismatched bodies")
    func errors() {
        let path = MQManagement.localAlarmsPath
        #expect(throws: MQError(stage: .management, message: "Login failed", httpStatus: 401)) {
            try MQManagement.parseHealthCheck(status: 401, body: CapturedPayloads.unauthorized.bytes, path: path)
        }
        #expect(MQManagement.httpError(status: 401, body: CapturedPayloads.unauthorized.bytes, path: path).description
            == "HTTP 401: Login failed")
        #expect(MQManagement.httpError(status: 500, body: [], path: path).description == "HTTP 500")
        #expect(throws: MQError(stage: .management, message: "unexpected answer from /api/nodes/{node}: not JSON")) {
            try MQManagement.parseNode("<html>502 Bad Gateway</html>".bytes)
        }
        #expect(throws: MQError(stage: .management, message: "unexpected answer from /api/nodes/{node}: not JSON")) {
            try MQManagement.parseNode(#"{"running":tru"#.bytes)
        }
        #expect(throws: MQError(stage: .management, message: "unexpected answer from /api/nodes/{node}: bad running")) {
            try MQManagement.parseNode(#"{"running":"yes"}"#.bytes)
        }
        #expect(throws: MQError(stage: .management, message: "unexpected answer from \(path): missing status")) {
            try MQManagement.parseHealthCheck(status: 200, body: "{}".bytes, path: path)
        }
        #expect(throws: MQError(stage: .management, message: "\(path) answered HTTP 503 with status \"ok\"")) {
            try MQManagement.parseHealthCheck(status: 503, body: CapturedPayloads.healthyLocalAlarms.bytes, path: path)
        }
        #expect(throws: MQError.self) { try MQManagement.parseClusterNodes(CapturedPayloads.healthyNode.bytes) }
    }

    @Test("URLs: the node name is percent-encoded, columns selected, IPv6 in brackets")
    func urls() {
        let config = RabbitMQConfig(amqp: AMQPSettings(user: "hactl", passwordFile: "/etc/hactl/rabbit.pass"),
                                    management: ManagementSettings(port: 15673, user: "monitor"))
        let api = MQManagement(config: config, controller: "ctl1", address: IPAddress("198.18.0.11")!) { _ throws(HTTPClientError) in
            HTTPResponse(status: 200)
        }
        #expect(api.baseURL == "http://198.18.0.11:15673")
        #expect(api.user == "monitor")
        #expect(api.passwordFile == "/etc/hactl/rabbit.pass")
        #expect(api.nodePath.hasPrefix("/api/nodes/rabbit%40ctl1?columns=name,running,partitions,mem_alarm,"))
        let v6 = MQManagement(config: config, controller: "ctl1", address: IPAddress("fd00::11")!) { _ throws(HTTPClientError) in
            HTTPResponse(status: 200)
        }
        #expect(v6.baseURL == "http://[fd00::11]:15673")
        #expect(MQManagement.percentEncoded("rabbit@ctl-1.example_x~") == "rabbit%40ctl-1.example_x~")
        #expect(MQManagement.percentEncoded("a b/c") == "a%20b%2Fc")
    }

    @Test("the status JSON uses stable snake_case keys")
    func statusJSON() throws {
        var status = MQStatus(node: "rabbit@ctl1")
        status.running = true
        status.partitions = []
        status.alarms = ["memory"]
        status.roundTripMs = 0.5
        status.fdUsed = 39
        status.clusterNodes = [MQClusterNode(name: "rabbit@ctl1", running: true)]
        status.localAlarms = MQHealthCheck(status: "failed", reason: "There are alarms in effect on the node", alarms: ["memory"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(status), as: UTF8.self)
        #expect(text == #"{"alarms":["memory"],"cluster_nodes":[{"name":"rabbit@ctl1","partitions":[],"running":true}],"fd_used":39,"local_alarms":{"alarms":["memory"],"reason":"There are alarms in effect on the node","status":"failed"},"node":"rabbit@ctl1","partitions":[],"round_trip_ms":0.5,"running":true}"#)
        #expect(try JSONDecoder().decode(MQStatus.self, from: Data(text.utf8)) == status)
    }
}

import Foundation
