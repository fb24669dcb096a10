import HACore
import Testing
@testable import MQProbe

/// The verdict as a table: observations built from captured (and derived) management API answers
/// and AMQP outcomes, the reason expected, and whether the probe may stop waiting.
@Suite("MQVerdict")
struct MQVerdictTests {
    typealias P = CapturedPayloads

    static func node(_ body: String) -> Result<MQNodeStats, MQError> {
        Result { () throws(MQError) in try MQManagement.parseNode(body.bytes) }
    }

    static func check(_ status: Int, _ body: String) -> Result<MQHealthCheck, MQError> {
        Result { () throws(MQError) in try MQManagement.parseHealthCheck(status: status, body: body.bytes, path: "/x") }
    }

    static let trip: Result<MQRoundTrip, MQError> = .success(MQRoundTrip(roundTrip: .microseconds(300), confirm: .microseconds(290)))
    static let refused = MQError(stage: .connect, message: "a socket error occurred", libraryStatus: -9, errno: 111)
    static let denied = MQError(stage: .login, message: "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.", replyCode: 403)
    static let noConfirm = MQError(stage: .roundTrip, message: "no confirm in time", libraryStatus: -13, timedOut: true)
    static let returned = MQError(stage: .roundTrip, message: "message returned: NO_ROUTE", replyCode: 312)
    static let http401 = MQError(stage: .management, message: "Login failed", httpStatus: 401)
    static let curlRefused = MQError(stage: .management, message: "HTTP connect failed: Couldn't connect to server (curl 7)")
    static let httpTimeout = MQError(stage: .management, message: "HTTP request timed out after 2.1s", timedOut: true)

    static func healthy() -> MQObservation {
        MQObservation(node: node(P.healthyNode), localAlarms: check(200, P.healthyLocalAlarms),
                      quorumCritical: check(200, P.healthyQuorumCritical),
                      mirrorSyncCritical: check(200, P.healthyMirrorSyncCritical),
                      cluster: Result { () throws(MQError) in try MQManagement.parseClusterNodes(P.healthyCluster.bytes) },
                      roundTrip: trip)
    }

    static func healthy(_ change: (inout MQObservation) -> Void) -> MQObservation {
        var o = healthy()
        change(&o)
        return o
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var observation: MQObservation
        var reason: String
        var decided = true
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "healthy", observation: healthy(), reason: ""),
        Row(name: "not running", observation: healthy { $0.node = node(P.notRunningNode) }, reason: "not running"),
        Row(name: "memory alarm (both sources)", observation: healthy {
            $0.node = node(P.memoryAlarmNode)
            $0.localAlarms = check(503, P.memoryAlarmLocalAlarms)
            $0.roundTrip = .failure(noConfirm)
        }, reason: "memory alarm"),
        Row(name: "memory alarm, node statistics not caught up yet", observation: healthy {
            $0.localAlarms = check(503, P.memoryAlarmLocalAlarms)
        }, reason: "memory alarm"),
        Row(name: "alarm cleared, node statistics lagging: local-alarms wins", observation: healthy {
            $0.node = node(P.memoryAlarmNode)
        }, reason: ""),
        Row(name: "disk alarm", observation: healthy { $0.localAlarms = check(503, P.diskAlarmLocalAlarms) }, reason: "disk alarm"),
        Row(name: "local-alarms unreadable: the node's flags", observation: healthy {
            $0.node = node(P.diskAlarmNode)
            $0.localAlarms = .failure(http401)
        }, reason: "disk alarm"),
        Row(name: "local-alarms failed without a known resource", observation: healthy {
            $0.localAlarms = .success(MQHealthCheck(status: "failed", reason: "There are alarms in effect on the node"))
        }, reason: "local alarms: There are alarms in effect on the node"),
        Row(name: "partitioned", observation: healthy { $0.node = node(P.partitionedNode) },
            reason: "partitioned from rabbit@ctl1,rabbit@ctl2"),
        Row(name: "quorum critical", observation: healthy { $0.quorumCritical = check(503, P.quorumCriticalFailed) },
            reason: "quorum critical: There are quorum queues that would lose their quorum if the target node is shut down (queue 'nova' in vhost '/')"),
        Row(name: "mirror sync critical", observation: healthy { $0.mirrorSyncCritical = check(503, P.mirrorSyncCriticalFailed) },
            reason: "mirror sync critical: There are classic mirrored queues without online synchronised mirrors (queue 'notifications.info' in vhost '/')"),
        Row(name: "AMQP refused", observation: healthy { $0.roundTrip = .failure(refused) },
            reason: "connect: a socket error occurred (status -9, errno 111 Connection refused)"),
        Row(name: "AMQP login refused", observation: healthy { $0.roundTrip = .failure(denied) },
            reason: "login: ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile. (reply 403)"),
        Row(name: "message returned", observation: healthy { $0.roundTrip = .failure(returned) },
            reason: "round trip: message returned: NO_ROUTE (reply 312)"),
        Row(name: "management 401", observation: healthy {
            $0.node = .failure(http401)
            $0.localAlarms = .failure(http401)
        }, reason: "management API: HTTP 401: Login failed"),
        Row(name: "stop_app: both refused, the AMQP side is named", observation: MQObservation(
            node: .failure(curlRefused), localAlarms: .failure(curlRefused), quorumCritical: .failure(curlRefused),
            mirrorSyncCritical: .failure(curlRefused), cluster: .failure(curlRefused), roundTrip: .failure(refused)),
            reason: "connect: a socket error occurred (status -9, errno 111 Connection refused)"),
        Row(name: "the cluster view failing does not matter", observation: healthy { $0.cluster = .failure(http401) }, reason: ""),
        Row(name: "hung: nothing answered", observation: MQObservation(), reason: "probe timeout after 2s", decided: false),
        Row(name: "hung: every part ran out of time", observation: MQObservation(
            node: .failure(httpTimeout), localAlarms: .failure(httpTimeout), quorumCritical: .failure(httpTimeout),
            mirrorSyncCritical: .failure(httpTimeout), cluster: .failure(httpTimeout), roundTrip: .failure(noConfirm)),
            reason: "probe timeout after 2s", decided: false),
        Row(name: "round trip missing, management fine", observation: healthy { $0.roundTrip = nil },
            reason: "probe timeout after 2s waiting for round trip", decided: false),
        Row(name: "round trip timed out, management fine", observation: healthy { $0.roundTrip = .failure(noConfirm) },
            reason: "probe timeout after 2s waiting for round trip", decided: false),
        Row(name: "management missing, round trip fine", observation: healthy { $0.mirrorSyncCritical = nil },
            reason: "probe timeout after 2s waiting for management API", decided: false),
        // Order when several fail: the first rule wins.
        Row(name: "not running beats alarm and partition", observation: healthy {
            var stats = (try? $0.node?.get())!
            stats.running = false
            stats.partitions = ["rabbit@ctl2"]
            $0.node = .success(stats)
            $0.localAlarms = check(503, P.memoryAlarmLocalAlarms)
        }, reason: "not running"),
        Row(name: "alarm beats partition, quorum and the round trip", observation: healthy {
            $0.node = node(P.partitionedNode)
            $0.localAlarms = check(503, P.memoryAlarmLocalAlarms)
            $0.quorumCritical = check(503, P.quorumCriticalFailed)
            $0.roundTrip = .failure(returned)
        }, reason: "memory alarm"),
        Row(name: "both alarms", observation: healthy {
            $0.localAlarms = .success(MQHealthCheck(status: "failed", alarms: ["disk space", "memory"]))
        }, reason: "memory alarm, disk alarm"),
        // Early decisions: a failure that nothing pending can outrank.
        Row(name: "memory alarm with the round trip still out: decided", observation: healthy {
            $0.localAlarms = check(503, P.memoryAlarmLocalAlarms)
            $0.roundTrip = nil
            $0.quorumCritical = nil
            $0.cluster = nil
        }, reason: "memory alarm"),
        Row(name: "memory alarm seen by the node only, local-alarms pending: not yet decided", observation: healthy {
            $0.node = node(P.memoryAlarmNode)
            $0.localAlarms = nil
        }, reason: "memory alarm", decided: false),
        Row(name: "AMQP refused with the node pending: not yet decided", observation: healthy {
            $0.roundTrip = .failure(refused)
            $0.node = nil
        }, reason: "connect: a socket error occurred (status -9, errno 111 Connection refused)", decided: false),
        Row(name: "healthy so far, cluster view pending: the verdict is fixed", observation: healthy { $0.cluster = nil },
            reason: ""),
        // A peer hangs or is cut off: the healthy node's /api/nodes stalls until net_ticktime. The
        // health checks and the round trip pass, so the node stays in (not yet decided: the probe
        // waits for the node stats until its deadline, then passes).
        Row(name: "node stats timed out, everything else passed: passing", observation: healthy {
            $0.node = .failure(httpTimeout)
            $0.cluster = .failure(httpTimeout)
        }, reason: "", decided: false),
        Row(name: "node stats and quorum check stalled (a peer cut off), the rest passed: passing", observation: healthy {
            $0.node = nil
            $0.quorumCritical = .failure(httpTimeout)
        }, reason: "", decided: false),
        Row(name: "local alarms unanswered: timeout naming the management API", observation: healthy {
            $0.node = nil
            $0.localAlarms = nil
        }, reason: "probe timeout after 2s waiting for management API", decided: false),
    ]

    @Test("reason and early decision", arguments: rows)
    func table(_ row: Row) {
        let verdict = MQVerdict.evaluate(row.observation, timeout: .seconds(2))
        #expect(verdict.reason == row.reason)
        #expect(verdict.timedOut == row.reason.hasPrefix("probe timeout"), "only rule 8 is a timeout, typed")
        #expect(verdict.status == (row.reason.isEmpty ? .passing : .critical))
        #expect(MQVerdict.decided(row.observation) == row.decided)
    }

    @Test("the probe ends early only on a decided failure or when everything answered")
    func canEnd() {
        #expect(MQMonitorCollector.canEnd(Self.healthy(), timeout: .seconds(2)))
        // Passing so far but the cluster view is out: wait for it (the status shows it).
        #expect(!MQMonitorCollector.canEnd(Self.healthy { $0.cluster = nil }, timeout: .seconds(2)))
        #expect(MQMonitorCollector.canEnd(Self.healthy {
            $0.localAlarms = Self.check(503, P.memoryAlarmLocalAlarms)
            $0.roundTrip = nil
        }, timeout: .seconds(2)))
        #expect(!MQMonitorCollector.canEnd(MQObservation(), timeout: .seconds(2)))
    }

    @Test("the status view of an observation")
    func status() {
        let o = Self.healthy {
            $0.localAlarms = Self.check(503, P.memoryAlarmLocalAlarms)
            $0.roundTrip = .failure(Self.noConfirm)
            $0.quorumCritical = .failure(Self.http401)
        }
        let status = o.status(node: "rabbit@localhost")
        #expect(status.running == true)
        #expect(status.alarms == ["memory"])
        #expect(status.fdTotal == 20000)
        #expect(status.roundTripMs == nil)
        #expect(status.roundTripError == "round trip: no confirm in time (status -13)")
        #expect(status.managementError == "HTTP 401: Login failed")
        #expect(status.quorumCritical == nil)
        #expect(status.clusterNodes?.count == 1)
        #expect(Self.healthy().status(node: "rabbit@localhost").roundTripMs == 0.3)
    }
}
