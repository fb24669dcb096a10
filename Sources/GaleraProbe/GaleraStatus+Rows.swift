import HACore

/// The probe's side of ``GaleraStatus`` (the wire type lives in HACore/API): the statements one probe
/// runs and the pure parser from their rows.
extension GaleraStatus {
    /// The variables the probe asks for with `SHOW GLOBAL VARIABLES WHERE Variable_name IN (...)`.
    public static let variableNames = [
        "wsrep_on", "wsrep_provider", "read_only", "wsrep_desync", "wsrep_reject_queries",
        "wsrep_sst_donor_rejects_queries",
    ]

    /// The two statements one probe runs, in order: status rows, then variable rows.
    public static let statusQuery = "SHOW GLOBAL STATUS LIKE 'wsrep%'"
    public static let variablesQuery = "SHOW GLOBAL VARIABLES WHERE Variable_name IN ("
        + variableNames.map { "'\($0)'" }.joined(separator: ",") + ")"

    /// Parses the rows of ``statusQuery`` and ``variablesQuery`` (name, value); pure.
    ///
    /// Names match case-insensitively; unknown names are ignored, so a newer server's extra variables
    /// do not matter. Booleans accept `ON`/`OFF`, `1`/`0`, `TRUE`/`FALSE`, `YES`/`NO`.
    public init(statusRows: [(name: String, value: String)], variableRows: [(name: String, value: String)]) {
        self.init()
        let status = Self.dictionary(statusRows)
        let variables = Self.dictionary(variableRows)
        localState = status["wsrep_local_state"].flatMap { Int($0) }
        localStateComment = status["wsrep_local_state_comment"]
        clusterStatus = status["wsrep_cluster_status"]
        ready = status["wsrep_ready"].flatMap(Self.bool)
        connected = status["wsrep_connected"].flatMap(Self.bool)
        clusterSize = status["wsrep_cluster_size"].flatMap { Int($0) }
        localRecvQueue = status["wsrep_local_recv_queue"].flatMap { Int($0) }
        flowControlPaused = status["wsrep_flow_control_paused"].flatMap { Double($0) }
        lastCommitted = status["wsrep_last_committed"].flatMap { Int64($0) }
        clusterStateUUID = status["wsrep_cluster_state_uuid"].flatMap { $0.isEmpty ? nil : $0 }
        incomingAddresses = status["wsrep_incoming_addresses"].map {
            $0.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        }
        wsrepOn = variables["wsrep_on"].flatMap(Self.bool)
        provider = variables["wsrep_provider"]
        readOnly = variables["read_only"].flatMap(Self.bool)
        desync = variables["wsrep_desync"].flatMap(Self.bool)
        rejectQueries = variables["wsrep_reject_queries"]
        sstDonorRejectsQueries = variables["wsrep_sst_donor_rejects_queries"].flatMap(Self.bool)
    }

    private static func dictionary(_ rows: [(name: String, value: String)]) -> [String: String] {
        var result: [String: String] = [:]
        for row in rows { result[row.name.lowercased()] = row.value.trimmingSpaces() }
        return result
    }

    static func bool(_ text: String) -> Bool? {
        switch text.uppercased() {
        case "ON", "1", "TRUE", "YES": true
        case "OFF", "0", "FALSE", "NO": false
        default: nil
        }
    }
}
