import Foundation
import Testing
@testable import GaleraProbe
import HACore

@Suite("GaleraStatus parser")
struct GaleraStatusTests {
    @Test("a Synced node's captured rows parse into every field")
    func syncedCapture() {
        let status = CapturedRows.status(CapturedRows.synced)
        #expect(status.localState == 4)
        #expect(status.localStateComment == "Synced")
        #expect(status.clusterStatus == "Primary")
        #expect(status.ready == true)
        #expect(status.connected == true)
        #expect(status.clusterSize == 2)
        #expect(status.localRecvQueue == 0)
        #expect(status.flowControlPaused == 0)
        #expect(status.lastCommitted == 2)
        #expect(status.clusterStateUUID == "10c9624f-e616-11f1-87c5-4e158596c166")
        #expect(status.incomingAddresses == ["127.0.0.1:23311", "127.0.0.1:23312"])
        #expect(status.wsrepOn == true)
        #expect(status.provider == "/usr/lib/galera/libgalera_smm.so")
        #expect(status.readOnly == false)
        #expect(status.desync == false)
        #expect(status.rejectQueries == "NONE")
        #expect(status.sstDonorRejectsQueries == false)
    }

    @Test("a server without Galera has no local state and an empty cluster UUID")
    func standaloneCapture() {
        let status = CapturedRows.status(CapturedRows.standalone)
        #expect(status.wsrepOn == false)
        #expect(status.provider == "none")
        #expect(status.localState == nil)
        #expect(status.localStateComment == nil)
        #expect(status.clusterStatus == "Disconnected")
        #expect(status.clusterSize == 0)
        #expect(status.clusterStateUUID == nil)
        #expect(status.incomingAddresses == nil)
        #expect(status.ready == false)
        #expect(status.connected == false)
    }

    @Test("names match case-insensitively, booleans in every spelling, junk values are nil")
    func spellings() {
        let status = GaleraStatus(
            statusRows: [("WSREP_READY", "1"), ("Wsrep_Connected", "true"), ("wsrep_local_state", "four"),
                         ("wsrep_last_committed", "-1"), ("wsrep_flow_control_paused", "0.25"),
                         ("wsrep_incoming_addresses", "198.18.0.11:3306, ,198.18.0.12:3306,")],
            variableRows: [("READ_ONLY", "yes"), ("wsrep_desync", "maybe"), ("unrelated", "x")])
        #expect(status.ready == true)
        #expect(status.connected == true)
        #expect(status.localState == nil)
        #expect(status.lastCommitted == -1)
        #expect(status.flowControlPaused == 0.25)
        #expect(status.incomingAddresses == ["198.18.0.11:3306", "198.18.0.12:3306"])
        #expect(status.readOnly == true)
        #expect(status.desync == nil)
        #expect(status.wsrepOn == nil)
    }

    @Test("the variables query asks exactly for the variables the parser reads")
    func variablesQuery() {
        #expect(GaleraStatus.statusQuery == "SHOW GLOBAL STATUS LIKE 'wsrep%'")
        #expect(GaleraStatus.variablesQuery == "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on',"
            + "'wsrep_provider','read_only','wsrep_desync','wsrep_reject_queries','wsrep_sst_donor_rejects_queries')")
    }

    @Test("JSON uses the MariaDB variable names and round-trips")
    func json() throws {
        let status = CapturedRows.status(CapturedRows.desynced)
        let data = try JSONEncoder().encode(status)
        let object = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["wsrep_local_state"] as? Int == 2)
        #expect(object["wsrep_local_state_comment"] as? String == "Donor/Desynced")
        #expect(object["wsrep_desync"] as? Bool == true)
        #expect(try JSONDecoder().decode(GaleraStatus.self, from: data) == status)
    }
}
