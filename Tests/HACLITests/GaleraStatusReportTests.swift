@testable import HACLI
import HACore
import Testing

@Suite("hactl galera status report")
struct GaleraStatusReportTests {
    let ctl = ["ctl1", "ctl2", "ctl3"].enumerated().map { Controller(name: $1, address: IPAddress("198.18.0.1\($0 + 1)")!) }

    func report(_ node: String, writer: String? = "ctl1", reason: String? = nil, state: String = "Synced") -> GaleraReport {
        var wsrep = GaleraStatus()
        wsrep.localState = state == "Synced" ? 4 : 2
        wsrep.localStateComment = state
        wsrep.clusterStatus = "Primary"
        wsrep.clusterSize = 3
        wsrep.lastCommitted = 1234
        wsrep.localRecvQueue = 0
        wsrep.flowControlPaused = 0
        return GaleraReport(node: node, status: reason == nil ? .passing : .critical, reason: reason ?? "ok",
                            passingForSeconds: reason == nil ? 10 : nil, ageSeconds: 0.2, wsrep: wsrep,
                            statusAgeSeconds: 0.2, writer: writer)
    }

    @Test func healthyClusterAgreesOnOneWriter() {
        let r = GaleraStatusReport(answers: ctl.map { ($0, .success(report($0.name))) })
        #expect(r.writer == "ctl1")
        #expect(r.problems.isEmpty)
        #expect(r.exitCode == 0)
        let table = r.renderTable()
        #expect(table.contains("ctl1  ok      Synced  Primary  3     1234   0       0.000     yes"))
        #expect(table.contains("ctl2  ok      Synced  Primary  3     1234   0       0.000     -"))
        #expect(table.hasSuffix("writer: ctl1\n"))
    }

    @Test func failingNodeAndDisagreementAreDegraded() {
        let r = GaleraStatusReport(answers: [
            (ctl[0], .success(report("ctl1", writer: "ctl2", reason: "donor/desynced", state: "Donor/Desynced"))),
            (ctl[1], .success(report("ctl2", writer: "ctl2"))),
            (ctl[2], .success(report("ctl3", writer: "ctl1"))),
        ])
        #expect(r.writer == nil)
        #expect(r.exitCode == 3)
        #expect(r.problems == ["ctl1: donor/desynced",
                               "agents disagree on the writer (ctl1 says ctl2, ctl2 says ctl2, ctl3 says ctl1)"])
    }

    @Test func unreachableAgentExitsFour() {
        let r = GaleraStatusReport(answers: [
            (ctl[0], .success(report("ctl1"))), (ctl[1], .success(report("ctl2"))),
            (ctl[2], .failure(.badResponse(node: "ctl3", message: "garbage"))),
        ])
        #expect(r.exitCode == 4)
        #expect(r.writer == "ctl1")
        #expect(r.renderTable().contains("ctl3  unreachable"))
    }

    @Test func noWriterWhenNothingPasses() {
        let r = GaleraStatusReport(answers: ctl.map { ($0, .success(report($0.name, writer: nil, reason: "non-Primary (cluster_status=non-Primary)"))) })
        #expect(r.writer == nil)
        #expect(r.problems.last == "no designated writer")
    }
}

extension GaleraStatusReportTests {
    @Test func aStatusOlderThanTheVerdictShowsOnlyTheLastSeqno() {
        var down = report("ctl1", reason: "connect: Can't connect to server on '198.18.0.11' (111) (errno 2002)")
        down.statusAgeSeconds = 30
        let r = GaleraStatusReport(answers: [(ctl[0], .success(down))])
        #expect(r.renderTable().contains("ctl1  connect: Can't connect to server on '198.18.0.11' (111) (errno 2002)  -      -        -     1234   -       -         yes"))
    }
}
