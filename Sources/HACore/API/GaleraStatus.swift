/// What one probe read from the local MariaDB node: the wsrep status variables and the server
/// variables that decide whether the node may take traffic.
///
/// A plain wire value (part of `GET /v1/galera`), built by GaleraProbe's pure parser from the rows of
/// `SHOW GLOBAL STATUS LIKE 'wsrep%'` and `SHOW GLOBAL VARIABLES`. Every field is optional: a field
/// the server did not report is `nil` (a MariaDB without Galera reports only some wsrep variables and
/// no `wsrep_local_state`), and a value that does not parse is `nil` too, never a guess.
///
/// The JSON form (`Codable`) uses the MariaDB variable names as keys, so `hactl galera status --json`
/// reads like the server's own output.
public struct GaleraStatus: Sendable, Equatable, Codable {
    /// `wsrep_local_state`: 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced.
    public var localState: Int?
    /// `wsrep_local_state_comment`, e.g. `Synced`, `Donor/Desynced`, `Joining: receiving State Transfer`.
    public var localStateComment: String?
    /// `wsrep_cluster_status`: `Primary`, `non-Primary` or `Disconnected`.
    public var clusterStatus: String?
    /// `wsrep_ready`.
    public var ready: Bool?
    /// `wsrep_connected`.
    public var connected: Bool?
    /// `wsrep_cluster_size`.
    public var clusterSize: Int?
    /// `wsrep_local_recv_queue`: write-sets received and not yet applied.
    public var localRecvQueue: Int?
    /// `wsrep_flow_control_paused`: fraction of time paused by flow control since the last `FLUSH STATUS`.
    public var flowControlPaused: Double?
    /// `wsrep_last_committed`: the seqno of the last committed write-set.
    public var lastCommitted: Int64?
    /// `wsrep_cluster_state_uuid`; `nil` when the server reports it empty.
    public var clusterStateUUID: String?
    /// `wsrep_incoming_addresses`, split at commas (`198.18.0.11:3306`, ...).
    public var incomingAddresses: [String]?
    /// Variable `wsrep_on`: false on a server that is not a Galera node.
    public var wsrepOn: Bool?
    /// Variable `wsrep_provider` (`none` when no Galera library is loaded).
    public var provider: String?
    /// Variable `read_only`.
    public var readOnly: Bool?
    /// Variable `wsrep_desync`.
    public var desync: Bool?
    /// Variable `wsrep_reject_queries`: `NONE`, `ALL` or `ALL_KILL`.
    public var rejectQueries: String?
    /// Variable `wsrep_sst_donor_rejects_queries`.
    public var sstDonorRejectsQueries: Bool?

    /// `wsrep_local_state` values (the Galera node states).
    public enum LocalState {
        public static let joining = 1
        public static let donorDesynced = 2
        public static let joined = 3
        public static let synced = 4
    }

    /// `wsrep_cluster_status` values, for code to decide on (the field stays the server's string).
    public enum ClusterStatus: String, Sendable {
        case primary = "Primary"
        case nonPrimary = "non-Primary"
        case disconnected = "Disconnected"
    }

    /// `clusterStatus` as a value; nil when absent or not one the server documents.
    public var cluster: ClusterStatus? { clusterStatus.flatMap(ClusterStatus.init(rawValue:)) }

    /// An empty status: every field unknown.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case localState = "wsrep_local_state"
        case localStateComment = "wsrep_local_state_comment"
        case clusterStatus = "wsrep_cluster_status"
        case ready = "wsrep_ready"
        case connected = "wsrep_connected"
        case clusterSize = "wsrep_cluster_size"
        case localRecvQueue = "wsrep_local_recv_queue"
        case flowControlPaused = "wsrep_flow_control_paused"
        case lastCommitted = "wsrep_last_committed"
        case clusterStateUUID = "wsrep_cluster_state_uuid"
        case incomingAddresses = "wsrep_incoming_addresses"
        case wsrepOn = "wsrep_on"
        case provider = "wsrep_provider"
        case readOnly = "read_only"
        case desync = "wsrep_desync"
        case rejectQueries = "wsrep_reject_queries"
        case sstDonorRejectsQueries = "wsrep_sst_donor_rejects_queries"
    }
}
