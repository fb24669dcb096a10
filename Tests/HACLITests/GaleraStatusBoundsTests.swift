import Foundation
@testable import HACLI
import HACore
import Testing

/// `hactl galera status` and `recover` read numbers from agents (and the operator): none may trap the
/// CLI or blow up the table.
@Suite("hactl galera: hostile numbers")
struct GaleraStatusBoundsTests {
    @Test("an agent answering 1e300 / -1 seconds and a huge flow-control value renders a bounded table",
          arguments: ["1e300", "-1", "9223372036854775807", "1.7976931348623157e308"])
    func hostileReport(_ raw: String) throws {
        let json = """
            {"node":"ctl1","status":"passing","reason":"ok","passing_for_seconds":\(raw),"age_seconds":\(raw),
             "status_age_seconds":\(raw),"writer":"ctl1",
             "wsrep":{"wsrep_cluster_status":"Primary","wsrep_flow_control_paused":\(raw),"wsrep_local_state_comment":"Synced"}}
            """
        let report = try JSONDecoder().decode(GaleraReport.self, from: Data(json.utf8))
        #expect(report.passingForSeconds.map { $0 <= GaleraReport.maxSeconds } ?? true)
        let controller = Controller(name: "ctl1", address: IPAddress("198.18.0.11")!)
        let table = GaleraStatusReport(answers: [(controller, .success(report))]).renderTable()
        #expect(table.split(separator: "\n").allSatisfy { $0.count < 200 }, "\(table)")
        // A negative status age counts as absent: the state columns are not shown as current.
        #expect(table.contains("Synced  Primary") == (raw != "-1"), "\(table)")
        #expect(!table.contains("e+"), "no huge number printed: \(table)")
    }

    @Test("--wait is bounded: no deadline arithmetic near overflow")
    func waitBounded() throws {
        #expect(throws: (any Error).self) { try GaleraRecoverCommand.parse(["--wait", "9223372036854775807"]) }
        #expect(throws: (any Error).self) { try GaleraRecoverCommand.parse(["--wait", "86401"]) }
        #expect(throws: (any Error).self) { try GaleraRecoverCommand.parse(["--wait", "0"]) }
        #expect(try GaleraRecoverCommand.parse(["--wait", "86400"]).wait == 86_400)
    }
}
