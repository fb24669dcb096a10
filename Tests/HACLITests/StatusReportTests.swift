@testable import HACLI
import HACore
import Testing

@Suite("hactl status report")
struct StatusReportTests {
    let ctl = ["ctl1", "ctl2", "ctl3"].enumerated().map { Controller(name: $1, address: IPAddress("198.18.0.1\($0 + 1)")!) }

    func healthy(_ name: String, drained: Bool = false, check: HealthStatus = .passing) -> NodeStatus {
        NodeStatus(node: name, cluster: "c", address: "x", version: "0.1.0", uptimeSeconds: 65, drained: drained,
                   checks: [CheckStatus(name: "agent_check", status: check, reason: check == .passing ? "" : "connect refused", ageSeconds: 0.2)],
                   modules: [ModuleStatus(name: "vip", state: .off, detail: "section absent")])
    }

    @Test func allHealthyExitsZero() {
        let r = StatusReport(cluster: "c", answers: ctl.map { ($0, .success(healthy($0.name))) })
        #expect(r.exitCode == 0 && r.healthy && r.problems.isEmpty)
        let table = r.renderTable()
        #expect(table.hasPrefix("cluster c: 3/3 controllers reachable, healthy\n"))
        #expect(table.contains("ctl2  198.18.0.12  0.1.0  up       65s     1/1 ok  off"))
    }

    @Test func drainedOrFailingCheckIsDegraded() {
        let r = StatusReport(cluster: "c", answers: [
            (ctl[0], .success(healthy("ctl1"))), (ctl[1], .success(healthy("ctl2", drained: true))),
            (ctl[2], .success(healthy("ctl3", check: .critical)))])
        #expect(r.exitCode == 3)
        #expect(r.problems == ["ctl2 drained", "ctl3 check agent_check: connect refused"])
    }

    @Test func unreachableWinsAndOthersAreStillShown() {
        let error = AgentClientError.unreachable(node: "ctl3", address: "http://198.18.0.13:9780",
                                                 cause: .connect(curlCode: 7, message: "Connection refused"))
        let r = StatusReport(cluster: "c", answers: [
            (ctl[0], .success(healthy("ctl1"))), (ctl[1], .success(healthy("ctl2", drained: true))), (ctl[2], .failure(error))])
        #expect(r.exitCode == 4)
        let table = r.renderTable()
        #expect(table.contains("ctl1") && table.contains("ctl2") && table.contains("ctl3  198.18.0.13  unreachable"))
        #expect(r.controllers[2].reachable == false && r.controllers[2].status == nil)
    }

    @Test func jsonIsStable() throws {
        let r = StatusReport(cluster: "c", answers: [(ctl[0], .success(healthy("ctl1")))])
        let json = try r.renderJSON()
        for key in ["\"cluster\"", "\"healthy\"", "\"problems\"", "\"controllers\"", "\"reachable\"", "\"uptime_seconds\"", "\"age_seconds\""] {
            #expect(json.contains(key))
        }
    }

    @Test(arguments: [(5.0, "5s"), (119, "119s"), (120, "2m"), (7199, "119m"), (7200, "2h"), (200_000, "2d")])
    func uptimeFormat(seconds: Double, text: String) {
        #expect(StatusReport.formatUptime(seconds) == text)
    }
}

@Suite("hactl vip status report")
struct VIPReportTests {
    let ctl = ["ctl1", "ctl2"].enumerated().map { Controller(name: $1, address: IPAddress("198.18.0.1\($0 + 1)")!) }

    func vip(_ state: String, master: String?) -> VIPStatus {
        VIPStatus(name: "public", vrid: 51, state: state, priority: 100, basePriority: 100, master: master, pinned: false,
                  priorityReasons: [], lastTransition: nil, advertsSent: 0, advertsReceived: 0, dropped: [:])
    }

    @Test func oneMasterIsHealthy() {
        let r = VIPReport(vipNames: ["public"], answers: [(ctl[0], .success([vip("master", master: "198.18.0.11")])),
                                                          (ctl[1], .success([vip("backup", master: "198.18.0.11")]))])
        #expect(r.vips[0].masters == ["ctl1"] && r.exitCode == 0)
    }

    @Test func aKeepalivedMasterSeenByEveryBackupIsNotAProblem() {
        let r = VIPReport(vipNames: ["public"], answers: [(ctl[0], .success([vip("backup", master: "198.18.0.13")])),
                                                          (ctl[1], .success([vip("backup", master: "198.18.0.13")]))])
        #expect(r.vips[0].masters.isEmpty)
        #expect(r.vips[0].externalMaster == "198.18.0.13 (not an hactl agent)")
        #expect(r.exitCode == 0)
        #expect(r.renderTable().contains("public: master 198.18.0.13 (not an hactl agent)"))
    }

    @Test func noMasterOrTwoMastersIsDegraded() {
        let none = VIPReport(vipNames: ["public"], answers: [(ctl[0], .success([vip("backup", master: nil)])),
                                                             (ctl[1], .success([vip("backup", master: nil)]))])
        #expect(none.exitCode == 3 && none.problems == ["public: no master"])
        let two = VIPReport(vipNames: ["public"], answers: [(ctl[0], .success([vip("master", master: "198.18.0.11")])),
                                                            (ctl[1], .success([vip("master", master: "198.18.0.12")]))])
        #expect(two.exitCode == 3 && two.problems == ["public: several masters (ctl1, ctl2)"])
    }
}
